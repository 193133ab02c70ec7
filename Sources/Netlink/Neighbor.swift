import CNetlink
import NetworkModel
#if canImport(Glibc)
import Glibc
#endif

/// An ARP (IPv4) or NDP (IPv6) neighbour entry: `address` is reached at `mac` on `linkIndex`.
/// Trellis programs permanent entries (a pod's gateway, a peer's VTEP); the kernel's own
/// learned entries read back with other states.
public struct Neighbor: Hashable, Sendable {
    /// The neighbour's IP address (`ip neigh ... ADDRESS`).
    public var address: IPAddress
    /// Its link-layer address (`lladdr`).
    public var mac: MACAddress
    /// The interface it is reached on (`dev`).
    public var linkIndex: Int32
    /// The NUD state; `.permanent` for entries Trellis programs.
    public var state: NeighborState

    /// A neighbour entry; permanent unless told otherwise.
    public init(address: IPAddress, mac: MACAddress, linkIndex: Int32, state: NeighborState = .permanent) {
        self.address = address
        self.mac = mac
        self.linkIndex = linkIndex
        self.state = state
    }

    /// The kernel's identity of a neighbour entry: one per address and device.
    public struct Key: Hashable, Sendable {
        /// The device the entry belongs to.
        public var linkIndex: Int32
        /// The neighbour's IP address.
        public var address: IPAddress

        /// An entry identity.
        public init(linkIndex: Int32, address: IPAddress) {
            self.linkIndex = linkIndex
            self.address = address
        }
    }

    /// This entry's identity, for diffing desired against observed entries.
    public var key: Key { Key(linkIndex: linkIndex, address: address) }
}

/// The kernel's neighbour unreachability detection states (`NUD_*`), as `ip neigh` names them.
public struct NeighborState: OptionSet, Hashable, Sendable {
    /// The kernel's number.
    public let rawValue: UInt16
    /// Wraps the kernel's number; any value is valid.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Resolution in progress, no link-layer address yet.
    public static let incomplete = NeighborState(rawValue: UInt16(NUD_INCOMPLETE))
    /// Confirmed reachable recently.
    public static let reachable = NeighborState(rawValue: UInt16(NUD_REACHABLE))
    /// Not confirmed for a while; used, re-checked on use.
    public static let stale = NeighborState(rawValue: UInt16(NUD_STALE))
    /// Waiting briefly before probing.
    public static let delay = NeighborState(rawValue: UInt16(NUD_DELAY))
    /// Being probed.
    public static let probe = NeighborState(rawValue: UInt16(NUD_PROBE))
    /// Resolution failed.
    public static let failed = NeighborState(rawValue: UInt16(NUD_FAILED))
    /// Needs no resolution (e.g. point-to-point).
    public static let noARP = NeighborState(rawValue: UInt16(NUD_NOARP))
    /// Never expires nor is replaced by learning (`nud permanent`).
    public static let permanent = NeighborState(rawValue: UInt16(NUD_PERMANENT))
}

extension Neighbor {
    /// The entry in a parsed `rtnl_neigh`, or `nil` for other families and for entries without
    /// a link-layer address (incomplete, failed).
    init?(libnl object: OpaquePointer) {
        guard IPFamily(addressFamily: rtnl_neigh_get_family(object)) != nil,
              let address = ipAddress(of: rtnl_neigh_get_dst(object)),
              let mac = macAddress(of: rtnl_neigh_get_lladdr(object)) else { return nil }
        self.init(address: address, mac: mac, linkIndex: Int32(rtnl_neigh_get_ifindex(object)),
                  state: NeighborState(rawValue: UInt16(truncatingIfNeeded: rtnl_neigh_get_state(object))))
    }

    /// An `rtnl_neigh` describing this entry for a request.
    func libnlObject() -> Object {
        let neighbor = Object(owning: rtnl_neigh_alloc()!)
        rtnl_neigh_set_ifindex(neighbor.raw, linkIndex)
        _ = withNLAddress(address) { rtnl_neigh_set_dst(neighbor.raw, $0) }
        withNLAddress(mac) { rtnl_neigh_set_lladdr(neighbor.raw, $0) }
        rtnl_neigh_set_state(neighbor.raw, Int32(state.rawValue))
        return neighbor
    }

    /// `"10.244.2.0 lladdr aa:bb:cc:dd:ee:ff dev trellis.vxlan"`.
    func describe(_ names: DeviceNames) -> String {
        "\(address) lladdr \(mac) dev \(names(linkIndex))"
    }
}
