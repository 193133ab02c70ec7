import NetworkModel
import Netlink

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
            switch PeerPath.choose(for: cidr, of: peer, mode: config.mode, underlay: config.underlay.addresses) {
            case .direct(let gateway):
                entries.routes.append(Route(destination: cidr, gateway: gateway, linkIndex: config.underlay.index,
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

extension DatapathState {
    /// Adds a peer's entries.
    mutating func insert(_ entries: PeerEntries) {
        routes.formUnion(entries.routes)
        neighbors.formUnion(entries.neighbors)
        fdbEntries.formUnion(entries.fdbEntries)
    }

    /// Removes a peer's entries.
    mutating func remove(_ entries: PeerEntries) {
        routes.subtract(entries.routes)
        neighbors.subtract(entries.neighbors)
        fdbEntries.subtract(entries.fdbEntries)
    }

    /// Room for `count` entries of each kind but nexthops, without growing.
    mutating func reserveCapacity(_ count: Int) {
        routes.reserveCapacity(count)
        neighbors.reserveCapacity(count)
        fdbEntries.reserveCapacity(count)
    }
}
