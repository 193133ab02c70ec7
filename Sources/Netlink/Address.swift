import CNetlink
import NetworkModel

/// An interface address as the kernel reports it (`ip addr show`).
public struct AddressEntry: Hashable, Sendable {
    /// The address with its prefix length (`10.244.1.5/32`, `fd00::5/128`).
    public var prefix: IPPrefix
    /// The interface the address is on.
    public var linkIndex: Int32
    /// `IFA_F_*` flags: whether DAD was skipped, is pending (`tentative`) or failed.
    public var flags: AddressFlags
    /// `.host` for loopback addresses, `.link` for IPv6 link-local ones, `.universe` otherwise.
    public var scope: RouteScope

    /// An address entry; every property as documented on the type.
    public init(prefix: IPPrefix, linkIndex: Int32, flags: AddressFlags = [], scope: RouteScope = .universe) {
        self.prefix = prefix
        self.linkIndex = linkIndex
        self.flags = flags
        self.scope = scope
    }

    /// The entry in a parsed `rtnl_addr`; `nil` when it has no local address.
    init?(libnl object: OpaquePointer) {
        guard let prefix = ipPrefix(of: rtnl_addr_get_local(object)) else { return nil }
        self.init(prefix: prefix,
                  linkIndex: Int32(rtnl_addr_get_ifindex(object)),
                  flags: AddressFlags(rawValue: rtnl_addr_get_flags(object)),
                  scope: RouteScope(rawValue: UInt8(truncatingIfNeeded: rtnl_addr_get_scope(object))) ?? .universe)
    }
}

/// The kernel's `IFA_F_*` address flags.
public struct AddressFlags: OptionSet, Hashable, Sendable {
    /// The kernel's number.
    public let rawValue: UInt32
    /// Wraps the kernel's number; any value is valid.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Duplicate address detection was skipped (`nodad`).
    public static let noDAD = AddressFlags(rawValue: UInt32(IFA_F_NODAD))
    /// DAD has not finished: the address cannot be used yet (`tentative`).
    public static let tentative = AddressFlags(rawValue: UInt32(IFA_F_TENTATIVE))
    /// DAD found a duplicate (`dadfailed`).
    public static let dadFailed = AddressFlags(rawValue: UInt32(IFA_F_DADFAILED))
    /// Configured, not learned from router advertisements (`permanent`).
    public static let permanent = AddressFlags(rawValue: UInt32(IFA_F_PERMANENT))
    /// Preferred lifetime expired (`deprecated`).
    public static let deprecated = AddressFlags(rawValue: UInt32(IFA_F_DEPRECATED))
    /// No prefix route was added for this address (`noprefixroute`).
    public static let noPrefixRoute = AddressFlags(rawValue: UInt32(IFA_F_NOPREFIXROUTE))
}
