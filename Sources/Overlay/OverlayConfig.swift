import NetworkModel
import Netlink

/// Everything the overlay needs to know about this node, fixed for the agent's lifetime: how it
/// reaches peers (`mode`), who it is (`localNode`), which interface carries the traffic
/// (`underlay`), the VXLAN settings, the route protocol that marks its routes, and the cluster
/// CIDRs for masquerade. A value: the agent builds it once from its flags.
public struct OverlayConfig: Hashable, Sendable {
    /// How this node reaches peers' pods (`--mode`).
    public var mode: ClusterNode.Backend
    /// This node as peers see it: its name (the VTEP MAC derives from it), its slices (the VTEP
    /// address is the IPv4 slice's network address) and its underlay address (the vxlan `local`).
    public var localNode: ClusterNode
    /// The interface peers are reached through.
    public var underlay: UnderlayLink
    /// The vxlan device's identity; used in `vxlan` and `hybrid` mode.
    public var vxlan: VXLANSettings
    /// The `proto` number on every route the agent programs: how it recognises its own routes.
    public var routeProtocol: RouteProtocol
    /// The cluster's pod CIDRs (`--cluster-cidr`), for masquerade.
    public var clusterCIDRs: [IPPrefix]

    /// A configuration; `vxlan` and `routeProtocol` default to the contract's values.
    public init(mode: ClusterNode.Backend, localNode: ClusterNode, underlay: UnderlayLink,
                vxlan: VXLANSettings = VXLANSettings(), routeProtocol: RouteProtocol = .trellis,
                clusterCIDRs: [IPPrefix]) {
        self.mode = mode
        self.localNode = localNode
        self.underlay = underlay
        self.vxlan = vxlan
        self.routeProtocol = routeProtocol
        self.clusterCIDRs = clusterCIDRs
    }

    /// The ids of the agent's nexthop objects: those whose top byte is the route protocol
    /// (0x7e000001...0x7effffff for 126), so agents with different protocols never share one.
    public var nexthopIDs: ClosedRange<UInt32> { Self.nexthopIDs(for: routeProtocol) }

    /// The nexthop ids of an agent marking its routes with `routeProtocol`.
    public static func nexthopIDs(for routeProtocol: RouteProtocol) -> ClosedRange<UInt32> {
        let base = UInt32(routeProtocol.rawValue) << 24
        return (base | 1)...(base | 0x00ff_ffff)
    }

    /// True when the node needs the vxlan device: in `vxlan` and `hybrid` mode, and in `direct`
    /// mode on a dual-stack cluster (IPv6 slices of peers without an IPv6 underlay address go
    /// over the overlay).
    public var usesVXLAN: Bool { mode != .direct || clusterCIDRs.contains { $0.family == .v6 } }

    /// The MTU pods get (what `node.json` says): the underlay's, minus the 50 bytes of VXLAN
    /// encapsulation (outer Ethernet 14, IPv4 20, UDP 8, VXLAN 8) when the mode encapsulates.
    /// Direct mode keeps the full MTU: its IPv6 fallback over the overlay relies on IPv6 path
    /// MTU discovery (the vxlan device's smaller MTU makes the node answer Packet Too Big).
    public var podMTU: Int { mode != .direct ? underlay.mtu - VXLANSettings.overhead : underlay.mtu }

    /// This node's VTEP MAC: derived from its name (`VTEPMAC.forNode`), published to peers.
    public var vtepMAC: MACAddress { VTEPMAC.forNode(localNode.name) }
}

/// The underlay interface: the link that carries VXLAN packets and direct routes.
public struct UnderlayLink: Hashable, Sendable {
    /// Its name (`--iface`), e.g. `eth0`.
    public var name: String
    /// Its interface index in the node's namespace.
    public var index: Int32
    /// Its IPv4 address with prefix length (`198.18.0.2/24`): hybrid mode routes peers inside
    /// this subnet directly.
    public var address: IPPrefix
    /// Its first global IPv6 address with prefix length, if it has one: published to peers on a
    /// dual-stack cluster, so direct and hybrid mode can route IPv6 slices without the overlay.
    public var addressV6: IPPrefix?
    /// Its MTU.
    public var mtu: Int

    /// An underlay; every property as documented on the type.
    public init(name: String, index: Int32, address: IPPrefix, addressV6: IPPrefix? = nil, mtu: Int) {
        self.name = name
        self.index = index
        self.address = address
        self.addressV6 = addressV6
        self.mtu = mtu
    }

    /// Its addresses: IPv4, then IPv6 when it has one.
    public var addresses: [IPPrefix] { [address] + (addressV6.map { [$0] } ?? []) }
}

/// The vxlan device's identity: name, VNI and UDP port (`--vxlan-vni`, `--vxlan-port`).
public struct VXLANSettings: Hashable, Sendable {
    /// Bytes VXLAN adds to every packet over an IPv4 underlay.
    public static let overhead = 50

    /// The device name; `trellis.vxlan` by contract.
    public var deviceName: String
    /// The VXLAN network identifier.
    public var vni: UInt32
    /// The UDP destination port.
    public var port: UInt16

    /// The contract's defaults: `trellis.vxlan`, VNI 1, port 8472.
    public init(deviceName: String = "trellis.vxlan", vni: UInt32 = 1, port: UInt16 = 8472) {
        self.deviceName = deviceName
        self.vni = vni
        self.port = port
    }
}

extension RouteProtocol {
    /// Trellis's route protocol number, 126 (0x7e): unassigned in iproute2's `rt_protos` and
    /// used by no well-known routing daemon (Calico's felix uses 80, BIRD 12, Flannel `boot`).
    /// `ip route show proto 126` lists exactly the routes the agent owns.
    public static let trellis = RouteProtocol(rawValue: 0x7e)
}
