import CNetlink
import NetworkModel
#if canImport(Glibc)
import Glibc
#endif

/// A forwarding entry of a vxlan device: frames for `mac` are sent, encapsulated, to the
/// underlay address `destination`. `bridge fdb append MAC dev DEV dst IP self permanent`.
public struct FDBEntry: Hashable, Sendable {
    /// The inner destination MAC (a peer's VTEP MAC; all zeros for flooding).
    public var mac: MACAddress
    /// The peer's underlay address (`dst`).
    public var destination: IPAddress
    /// The vxlan device (`dev`).
    public var linkIndex: Int32

    /// An FDB entry; every property as documented on the type.
    public init(mac: MACAddress, destination: IPAddress, linkIndex: Int32) {
        self.mac = mac
        self.destination = destination
        self.linkIndex = linkIndex
    }
}

extension FDBEntry {
    /// The entry in a parsed AF_BRIDGE `rtnl_neigh`; `nil` for entries without a `dst` (a
    /// bridge port's learned or local entries).
    init?(libnl object: OpaquePointer) {
        guard rtnl_neigh_get_family(object) == AF_BRIDGE,
              let mac = macAddress(of: rtnl_neigh_get_lladdr(object)),
              let destination = ipAddress(of: rtnl_neigh_get_dst(object)) else { return nil }
        self.init(mac: mac, destination: destination, linkIndex: Int32(rtnl_neigh_get_ifindex(object)))
    }

    /// An AF_BRIDGE `rtnl_neigh` for this entry: NTF_SELF (the vxlan device's own table),
    /// permanent.
    func libnlObject() -> Object {
        let neighbor = Object(owning: rtnl_neigh_alloc()!)
        rtnl_neigh_set_ifindex(neighbor.raw, linkIndex)
        _ = withNLAddress(destination) { rtnl_neigh_set_dst(neighbor.raw, $0) }
        rtnl_neigh_set_family(neighbor.raw, AF_BRIDGE)  // after the dst, which sets AF_INET(6)
        withNLAddress(mac) { rtnl_neigh_set_lladdr(neighbor.raw, $0) }
        rtnl_neigh_set_flags(neighbor.raw, UInt32(NTF_SELF))
        rtnl_neigh_set_state(neighbor.raw, Int32(NUD_PERMANENT))
        return neighbor
    }

    /// `"aa:bb:cc:dd:ee:ff dev trellis.vxlan dst 198.18.0.3"`.
    func describe(_ names: DeviceNames) -> String {
        "\(mac) dev \(names(linkIndex)) dst \(destination)"
    }

    /// An RTM_NEWNEIGH request with `flags` (NLM_F_APPEND to append, NLM_F_REPLACE to replace).
    func request(flags: Int32) throws(SocketFailure) -> Message {
        let object = libnlObject()
        return try Message { rtnl_neigh_build_add_request(object.raw, flags, $0) }
    }

    /// An RTM_DELNEIGH request for this MAC and destination.
    func deleteRequest() throws(SocketFailure) -> Message {
        let object = libnlObject()
        return try Message { rtnl_neigh_build_delete_request(object.raw, 0, $0) }
    }
}
