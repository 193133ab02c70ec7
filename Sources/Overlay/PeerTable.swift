import Cluster
import Netlink

/// The desired state kept current peer by peer, so that one event costs work in proportion to
/// the peers it changed, not to the cluster: `desired` always equals
/// `DesiredState.compute(config:vxlanLinkIndex:peers:)` for the last peers given (the tests
/// hold it to that).
///
/// Why this is tricky: a peer's entries are only its own while no other peer claims the same
/// keys. When two peers claim a key (a conflict, or identical entries published twice), the
/// winner depends on the whole list, so the table then recomputes in full and `update`
/// returns `nil`: the caller diffs the whole state.
struct PeerTable {
    /// The entries that differ between the old and the new peers: exactly the difference of
    /// the two desired states, so `Planner.plan(desired: added, observed: removed)` equals the
    /// plan over the whole states.
    struct Delta {
        var removed = DatapathState()
        var added = DatapathState()
    }

    let config: OverlayConfig
    let vxlanLinkIndex: Int32?
    /// The desired state for the last peers.
    private(set) var desired = DesiredState(datapath: .empty, skipped: [])
    /// The last peers, by name.
    private var nodes: [String: ClusterNode] = [:]
    /// The last peers, in the order given.
    private(set) var order: [ClusterNode] = []
    private var contributions: [String: PeerEntries] = [:]
    /// The peers with skip reasons, and those reasons.
    private var skips: [String: [SkippedPeer]] = [:]
    private var owners = Owners()
    /// True while every entry has exactly one peer: then updates are incremental.
    private var isExclusive = true

    private struct Owners {
        var routes: [Route.Key: String] = [:]
        var neighbors: [Neighbor.Key: String] = [:]
        var fdbEntries: [FDBKey: String] = [:]
    }

    /// The table for `peers`.
    init(config: OverlayConfig, vxlanLinkIndex: Int32?, peers: [ClusterNode]) {
        self.config = config
        self.vxlanLinkIndex = vxlanLinkIndex
        rebuild(peers)
    }

    /// How `update` moved the table.
    enum Change {
        /// Only these entries changed.
        case delta(Delta)
        /// Recomputed in full; the desired datapath before the update was `previous`.
        case rebuilt(previous: DatapathState)
    }

    /// Moves the table to `peers`: incrementally when every key has one peer, else in full
    /// (keys claimed by two peers, names repeated).
    mutating func update(to peers: [ClusterNode]) -> Change {
        guard isExclusive, let changes = changes(to: peers) else { return rebuilt(peers, previous: desired.datapath) }
        let changed = changes.map(\.name)
        var delta = Delta()
        for name in changed {
            guard let old = contributions.removeValue(forKey: name) else { continue }
            withdraw(old, of: name, into: &delta.removed)
        }
        for (name, node) in changes {
            guard let node else { continue }
            let entries = PeerEntries.of(node, config: config, vxlanLinkIndex: vxlanLinkIndex)
            guard claim(entries, for: name, into: &delta.added) else {
                return rebuilt(peers, previous: desired.datapath.replacing(delta.added, with: delta.removed))
            }
        }
        for (name, node) in changes { nodes[name] = node }
        order = peers
        if !changed.isEmpty { desired.skipped = sortedSkips() }
        return .delta(delta)
    }

    /// The peers that differ from the last list, with their new value (`nil`: gone); `nil`
    /// when `peers` repeats a name. A list in the same order as the last one (the datastore
    /// sorts by name) is compared position by position, without hashing.
    private func changes(to peers: [ClusterNode]) -> [(name: String, node: ClusterNode?)]? {
        if peers.count == order.count {
            var changes: [(name: String, node: ClusterNode?)] = []
            var aligned = true
            for (new, old) in zip(peers, order) {
                guard new.name == old.name else { aligned = false; break }
                if new != old { changes.append((new.name, new)) }
            }
            if aligned { return changes }
        }
        var incoming: [String: ClusterNode] = Dictionary(minimumCapacity: peers.count)
        for peer in peers where incoming.updateValue(peer, forKey: peer.name) != nil { return nil }
        var changes: [(name: String, node: ClusterNode?)] = incoming.compactMap { name, node in
            nodes[name] == node ? nil : (name, node)
        }
        changes += nodes.keys.filter { incoming[$0] == nil }.map { ($0, nil) }
        return changes
    }

    /// Rebuilds for `peers` and reports `previous` as the state before.
    private mutating func rebuilt(_ peers: [ClusterNode], previous: DatapathState) -> Change {
        rebuild(peers)
        return .rebuilt(previous: previous)
    }

    /// Recomputes everything for `peers`.
    private mutating func rebuild(_ peers: [ClusterNode]) {
        order = peers
        nodes = [:]
        contributions = [:]
        skips = [:]
        owners = Owners()
        desired = DesiredState(datapath: .empty, skipped: [])
        isExclusive = true
        var ignored = DatapathState()
        for peer in peers {
            let entries = PeerEntries.of(peer, config: config, vxlanLinkIndex: vxlanLinkIndex)
            guard nodes.updateValue(peer, forKey: peer.name) == nil,
                  claim(entries, for: peer.name, into: &ignored) else {
                isExclusive = false
                break
            }
        }
        if isExclusive {
            desired.skipped = sortedSkips()
        } else {
            nodes = Dictionary(peers.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
            desired = DesiredState.compute(config: config, vxlanLinkIndex: vxlanLinkIndex, peers: peers)
        }
    }

    /// Adds `entries` as `name`'s, also to `added`; false (nothing added) when a key is taken.
    private mutating func claim(_ entries: PeerEntries, for name: String, into added: inout DatapathState) -> Bool {
        let taken = entries.routes.contains { owners.routes[$0.key] != nil }
            || entries.neighbors.contains { owners.neighbors[$0.key] != nil }
            || entries.fdbEntries.contains { owners.fdbEntries[$0.key] != nil }
        guard !taken else { return false }
        for route in entries.routes { owners.routes[route.key] = name; desired.datapath.routes.insert(route); added.routes.insert(route) }
        for neighbor in entries.neighbors {
            owners.neighbors[neighbor.key] = name
            desired.datapath.neighbors.insert(neighbor)
            added.neighbors.insert(neighbor)
        }
        for entry in entries.fdbEntries {
            owners.fdbEntries[entry.key] = name
            desired.datapath.fdbEntries.insert(entry)
            added.fdbEntries.insert(entry)
        }
        contributions[name] = entries
        if !entries.skipped.isEmpty { skips[name] = entries.skipped }
        return true
    }

    /// Removes `name`'s `entries`, also recording them in `removed`.
    private mutating func withdraw(_ entries: PeerEntries, of name: String, into removed: inout DatapathState) {
        skips[name] = nil
        for route in entries.routes { owners.routes[route.key] = nil; desired.datapath.routes.remove(route); removed.routes.insert(route) }
        for neighbor in entries.neighbors {
            owners.neighbors[neighbor.key] = nil
            desired.datapath.neighbors.remove(neighbor)
            removed.neighbors.insert(neighbor)
        }
        for entry in entries.fdbEntries {
            owners.fdbEntries[entry.key] = nil
            desired.datapath.fdbEntries.remove(entry)
            removed.fdbEntries.insert(entry)
        }
    }

    /// Every peer's skip reasons, ordered by peer name (as `DesiredState.compute` orders them).
    private func sortedSkips() -> [SkippedPeer] {
        skips.sorted { $0.key < $1.key }.flatMap(\.value)
    }
}
