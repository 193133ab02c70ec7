import NetworkModel
import Netlink

/// How one of a peer's pod CIDRs is reached.
enum PeerPath: Hashable {
    /// A plain route via the peer's underlay address on the underlay interface.
    case direct
    /// A route via the peer's VTEP address on the vxlan device, plus neighbour and FDB entries.
    case vxlan

    /// The path for `cidr` of `peer` under `config`'s mode: hybrid goes direct exactly when the
    /// peer's underlay address is in the underlay's own subnet (and of the CIDR's family).
    static func choose(for cidr: IPPrefix, of peer: ClusterNode, config: OverlayConfig) -> PeerPath {
        switch config.mode {
        case .vxlan: .vxlan
        case .direct: .direct
        case .hybrid:
            peer.publicIP.family == cidr.family && config.underlay.isOnSubnet(peer.publicIP) ? .direct : .vxlan
        }
    }
}

/// The entries one peer contributes to the desired state, or the reasons it contributes less.
struct PeerEntries {
    var routes: [Route] = []
    var neighbors: [Neighbor] = []
    var fdbEntries: [FDBEntry] = []
    var skipped: [SkippedPeer] = []

    /// `peer`'s entries under `config`, with the vxlan device at `vxlanLinkIndex`. Pure.
    static func of(_ peer: ClusterNode, config: OverlayConfig, vxlanLinkIndex: Int32?) -> PeerEntries {
        func skipping(_ reason: SkippedPeer.Reason) -> PeerEntries {
            PeerEntries(skipped: [SkippedPeer(name: peer.name, reason: reason)])
        }
        if peer.name == config.localNode.name { return skipping(.localNode) }
        if peer.podCIDRs.isEmpty { return skipping(.noPodCIDR) }
        var entries = PeerEntries()
        for cidr in peer.podCIDRs.map(\.network) {
            if config.localNode.podCIDRs.contains(where: { $0.overlaps(cidr) }) {
                entries.skipped.append(SkippedPeer(name: peer.name, reason: .overlapsLocalSlice(cidr)))
                continue
            }
            switch PeerPath.choose(for: cidr, of: peer, config: config) {
            case .direct:
                guard peer.publicIP.family == cidr.family else {
                    entries.skipped.append(SkippedPeer(name: peer.name, reason: .unroutableFamily(cidr)))
                    continue
                }
                entries.routes.append(Route(destination: cidr, gateway: peer.publicIP, linkIndex: config.underlay.index,
                                            protocol: config.routeProtocol).kernelNormalized)
            case .vxlan:
                guard let vxlanLinkIndex else { return skipping(.noVXLANDevice) }
                guard let mac = peer.vtepMAC.flatMap(MACAddress.init) else {
                    return skipping(.invalidVTEPMAC(peer.vtepMAC))
                }
                let vtep = cidr.address
                entries.routes.append(Route(destination: cidr, gateway: vtep, linkIndex: vxlanLinkIndex,
                                            protocol: config.routeProtocol, onLink: true).kernelNormalized)
                entries.neighbors.append(Neighbor(address: vtep, mac: mac, linkIndex: vxlanLinkIndex))
                if entries.fdbEntries.isEmpty {
                    entries.fdbEntries.append(FDBEntry(mac: mac, destination: peer.publicIP, linkIndex: vxlanLinkIndex))
                }
            }
        }
        return entries
    }
}
