/// How this node reaches one of a peer's pod CIDRs: a pure rule of the mode, the CIDR's family
/// and the two nodes' underlay addresses, shared by the agent (which programs it) and `cnictl
/// status` (which shows it).
public enum PeerPath: Hashable, Sendable {
    /// A plain route via the peer's underlay address of the CIDR's family, on the underlay.
    case direct(via: IPAddress)
    /// A route via the peer's VTEP address on the vxlan device, plus neighbour and FDB entries
    /// (the FDB entry always points at the peer's IPv4 underlay address).
    case vxlan

    /// The path to `cidr` of `peer` from a node whose underlay holds `underlay` (one address
    /// with its prefix length per family it has).
    ///
    /// - vxlan mode: always the overlay.
    /// - direct mode: a route via the peer's underlay address of the CIDR's family when both
    ///   nodes have one; otherwise (a dual-stack cluster over an IPv4-only underlay) the overlay.
    /// - hybrid mode: direct exactly when the peer's address of that family lies in this node's
    ///   own subnet of that family; otherwise the overlay.
    public static func choose(for cidr: IPPrefix, of peer: ClusterNode, mode: DatapathMode, underlay: [IPPrefix]) -> PeerPath {
        guard mode != .vxlan, let gateway = peer.underlayAddress(cidr.family),
              let local = underlay.first(where: { $0.family == cidr.family }) else { return .vxlan }
        if mode == .hybrid, !local.network.contains(gateway) { return .vxlan }
        return .direct(via: gateway)
    }
}

extension ClusterNode {
    /// The node's underlay address of `family`, if it has one.
    public func underlayAddress(_ family: IPFamily) -> IPAddress? {
        [publicIP, publicIPv6].lazy.compactMap { $0 }.first { $0.family == family }
    }
}
