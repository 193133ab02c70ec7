import NetworkModel
import Netlink
@testable import Overlay

/// Values shared by the pure tests: node `node-1` with slice 10.244.1.0/24 on underlay
/// 198.18.0.1/24; peer `node-N` has slice 10.244.N.0/24 and underlay address 198.18.0.N
/// (on the underlay's subnet) unless told otherwise.
enum Fixture {
    static let vxlanIndex: Int32 = 10
    static let underlay = UnderlayLink(name: "eth0", index: 2, address: prefix("198.18.0.1/24"), mtu: 1500)
    static let local = node(1)

    static func config(_ mode: ClusterNode.Backend, local: ClusterNode = Fixture.local, underlayV6: String? = nil) -> OverlayConfig {
        var underlay = underlay
        underlay.addressV6 = underlayV6.map(prefix)
        return OverlayConfig(mode: mode, localNode: local, underlay: underlay, clusterCIDRs: [prefix("10.244.0.0/16")])
    }

    /// `node-N` with its VTEP MAC derived from its name.
    static func node(_ number: Int, publicIP: String? = nil, podCIDRs: [String]? = nil,
                     vtepMAC: String?? = .none) -> ClusterNode {
        let name = "node-\(number)"
        return ClusterNode(name: name, podCIDRs: (podCIDRs ?? ["10.244.\(number).0/24"]).map(prefix),
                           publicIP: address(publicIP ?? "198.18.0.\(number)"),
                           vtepMAC: vtepMAC ?? VTEPMAC.forNode(name).description, backend: .vxlan)
    }

    static func prefix(_ text: String) -> IPPrefix { IPPrefix(text)! }
    static func address(_ text: String) -> IPAddress { IPAddress(text)! }
    static func mac(_ text: String) -> MACAddress { MACAddress(text)! }

    static func desired(_ mode: ClusterNode.Backend, _ peers: [ClusterNode], underlayV6: String? = nil) -> DesiredState {
        DesiredState.compute(config: config(mode, underlayV6: underlayV6), vxlanLinkIndex: vxlanIndex, peers: peers)
    }

    /// The three vxlan entries for `peer`'s first slice, as the design spells them.
    static func vxlanEntries(_ peer: ClusterNode) -> (route: Route, neighbor: Neighbor, fdb: FDBEntry) {
        let cidr = peer.podCIDRs[0]
        let mac = MACAddress(peer.vtepMAC!)!
        return (Route(destination: cidr, gateway: cidr.address, linkIndex: vxlanIndex, protocol: .trellis,
                      onLink: true).kernelNormalized,
                Neighbor(address: cidr.address, mac: mac, linkIndex: vxlanIndex),
                FDBEntry(mac: mac, destination: peer.publicIP, linkIndex: vxlanIndex))
    }

    /// The direct route for `peer`'s first slice.
    static func directRoute(_ peer: ClusterNode) -> Route {
        Route(destination: peer.podCIDRs[0], gateway: peer.publicIP, linkIndex: underlay.index, protocol: .trellis)
    }
}

extension DatapathOperation {
    /// The operation's kind, for ordering assertions.
    var kind: String {
        switch self {
        case .addRoute: "addRoute"
        case .replaceRoute: "replaceRoute"
        case .deleteRoute: "deleteRoute"
        case .addNeighbor: "addNeighbor"
        case .replaceNeighbor: "replaceNeighbor"
        case .deleteNeighbor: "deleteNeighbor"
        case .appendFDB: "appendFDB"
        case .replaceFDB: "replaceFDB"
        case .deleteFDB: "deleteFDB"
        case .addNexthop: "addNexthop"
        case .replaceNexthop: "replaceNexthop"
        case .deleteNexthop: "deleteNexthop"
        }
    }
}
