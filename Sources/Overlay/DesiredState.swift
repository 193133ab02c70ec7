import NetworkModel
import Netlink

/// What the datapath should hold for a set of peers: a pure function of the configuration,
/// the vxlan device's index and the peers, with the peers it had to leave out.
///
/// Per peer and pod CIDR (`DESIGN.md`, Datapath): in vxlan mode the route `CIDR via VTEP dev
/// trellis.vxlan onlink` (VTEP = the CIDR's network address), the permanent neighbour
/// `VTEP -> peer MAC` and one FDB entry `peer MAC -> dst peer public IP`; in direct mode the
/// route `CIDR via public IP dev UNDERLAY`; hybrid mode picks direct for peers on the
/// underlay's own subnet and vxlan for the rest.
public struct DesiredState: Hashable, Sendable {
    /// The entries to program.
    public var datapath: DatapathState
    /// The peers (or pod CIDRs) left out, ordered by peer name.
    public var skipped: [SkippedPeer]

    /// The desired state for `peers` under `config`, with the vxlan device at `vxlanLinkIndex`
    /// (`nil` when there is none: peers needing the overlay are then skipped).
    ///
    /// Never fails: a peer that is this node, has no pod CIDR, needs the overlay without a
    /// parsable VTEP MAC, or whose entries collide with another peer's (same pod CIDR or MAC;
    /// the name sorting first wins) is listed in `skipped` instead. Independent of the order of
    /// `peers`.
    public static func compute(config: OverlayConfig, vxlanLinkIndex: Int32?, peers: [ClusterNode]) -> DesiredState {
        var routes = Claims<Route.Key, Route>()
        var neighbors = Claims<Neighbor.Key, Neighbor>()
        var fdbEntries = Claims<FDBKey, FDBEntry>()
        var skipped: [SkippedPeer] = []
        for peer in peers.sorted(by: { $0.name < $1.name }) {
            let entries = PeerEntries.of(peer, config: config, vxlanLinkIndex: vxlanLinkIndex)
            skipped += entries.skipped
            let holder = entries.routes.lazy.compactMap { routes.holder(conflictingWith: $0, key: $0.key) }.first
                ?? entries.neighbors.lazy.compactMap { neighbors.holder(conflictingWith: $0, key: $0.key) }.first
                ?? entries.fdbEntries.lazy.compactMap { fdbEntries.holder(conflictingWith: $0, key: $0.key) }.first
            if let holder {
                skipped.append(SkippedPeer(name: peer.name, reason: .conflict(holder: holder)))
                continue
            }
            for route in entries.routes { routes.claim(route, key: route.key, for: peer.name) }
            for neighbor in entries.neighbors { neighbors.claim(neighbor, key: neighbor.key, for: peer.name) }
            for entry in entries.fdbEntries { fdbEntries.claim(entry, key: entry.key, for: peer.name) }
        }
        return DesiredState(datapath: DatapathState(routes: routes.entries, neighbors: neighbors.entries,
                                                    fdbEntries: fdbEntries.entries),
                            skipped: skipped)
    }
}

/// Entries by kernel key with the peer that claimed each: the kernel holds one entry per key,
/// so a second, different entry for a key is a conflict.
private struct Claims<Key: Hashable, Entry: Hashable> {
    private var claims: [Key: (entry: Entry, holder: String)] = [:]

    /// The peer holding `key` with an entry other than `entry`, if any.
    func holder(conflictingWith entry: Entry, key: Key) -> String? {
        guard let claim = claims[key], claim.entry != entry else { return nil }
        return claim.holder
    }

    /// Records `entry` under `key` for `holder` (unless an equal entry is already there).
    mutating func claim(_ entry: Entry, key: Key, for holder: String) {
        if claims[key] == nil { claims[key] = (entry, holder) }
    }

    /// The claimed entries.
    var entries: Set<Entry> { Set(claims.values.lazy.map(\.entry)) }
}
