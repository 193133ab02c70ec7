import NetworkModel
import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// A network device as the kernel reports it (`ip -d link show`), reduced to what Trellis
/// reads: identity, addressing, MTU, state and how it hangs together with other devices.
public struct Link: Hashable, Sendable {
    /// The interface index, unique within its network namespace.
    public var index: Int32
    /// The interface name (at most 15 bytes).
    public var name: String
    /// The link-layer address; `nil` for devices without one (e.g. `lo` has all zeros, a
    /// tunnel may have none).
    public var mac: MACAddress?
    /// The maximum transmission unit in bytes.
    public var mtu: Int
    /// Administratively up (`IFF_UP`, what `ip link set up` sets).
    public var isUp: Bool
    /// Carrier present (`IFF_LOWER_UP`): for a veth, both ends are up.
    public var hasCarrier: Bool
    /// Operationally up (`IFF_RUNNING`): the kernel's link watcher has processed the carrier and
    /// attached the device's queueing discipline; until then packets sent through it are dropped.
    public var isRunning: Bool
    /// The driver kind (`IFLA_INFO_KIND`): `"veth"`, `"vxlan"`, `"bridge"`; `nil` for physical
    /// devices and `lo`.
    public var kind: String?
    /// The bridge or bond this device is enslaved to (`IFLA_MASTER`).
    public var masterIndex: Int32?
    /// The device this one is stacked on or paired with (`IFLA_LINK`): a veth's peer (an index
    /// in the peer's namespace), a vxlan's underlay.
    public var parentIndex: Int32?

    /// A link value; every property as documented on the type.
    public init(index: Int32, name: String, mac: MACAddress? = nil, mtu: Int, isUp: Bool,
                hasCarrier: Bool = false, isRunning: Bool = false, kind: String? = nil,
                masterIndex: Int32? = nil, parentIndex: Int32? = nil) {
        self.index = index
        self.name = name
        self.mac = mac
        self.mtu = mtu
        self.isUp = isUp
        self.hasCarrier = hasCarrier
        self.isRunning = isRunning
        self.kind = kind
        self.masterIndex = masterIndex
        self.parentIndex = parentIndex
    }
}

/// Conversions between `Link` and libnl's `rtnl_link`.
enum LinkParser {
    /// The link in a parsed `rtnl_link`; `nil` when it has no name (never for kernel replies).
    static func link(from object: OpaquePointer) -> Link? {
        guard let name = rtnl_link_get_name(object) else { return nil }
        let flags = rtnl_link_get_flags(object)
        let master = rtnl_link_get_master(object)
        let parent = rtnl_link_get_link(object)
        return Link(index: rtnl_link_get_ifindex(object),
                    name: String(cString: name),
                    mac: macAddress(of: rtnl_link_get_addr(object)),
                    mtu: Int(rtnl_link_get_mtu(object)),
                    isUp: flags & UInt32(IFF_UP.rawValue) != 0,
                    hasCarrier: flags & UInt32(IFF_LOWER_UP.rawValue) != 0,
                    isRunning: flags & UInt32(IFF_RUNNING.rawValue) != 0,
                    kind: rtnl_link_get_type(object).map { String(cString: $0) },
                    masterIndex: master > 0 ? master : nil,
                    parentIndex: parent > 0 ? Int32(parent) : nil)
    }

    /// One RTM_GETLINK request by index (when positive) or by name: never a dump.
    static func fetch(index: Int32, name: String?, from socket: Socket) throws(SocketFailure) -> Link {
        let request = try Message { rtnl_link_build_get_request(index, name, $0) }
        let objects = try socket.query(request)
        guard let link = objects.lazy.compactMap({ link(from: $0.raw) }).first else {
            throw SocketFailure(errno: EPROTO)  // the kernel answers a GET with the link or an error
        }
        return link
    }

    /// A fresh `rtnl_link` to describe a request; released when the returned object dies.
    static func allocate() -> Object {
        Object(owning: rtnl_link_alloc()!)
    }
}
