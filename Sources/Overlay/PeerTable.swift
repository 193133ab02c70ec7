import NetworkModel
import Netlink

/// A peer's new value, or nil when it is gone.
public struct PeerChange: Hashable, Sendable {
    /// The peer's node name.
    public var name: String
    /// Its new value; nil when it left the cluster.
    public var node: ClusterNode?

    /// A change; every property as documented on the type.
    public init(name: String, node: ClusterNode?) {
        self.name = name
        self.node = node
    }
}

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
    /// The last peers, by name. A peer's entries are not kept beside it: they are a pure
    /// function of the node (`PeerEntries.of`), computed again when it changes or leaves.
    private(set) var nodes: [String: ClusterNode] = [:]
    /// The peers with skip reasons, and those reasons.
    private var skips: [String: [SkippedPeer]] = [:]
    /// The kernel keys of the desired entries, to find a second claim on one.
    private var claimed = ClaimedKeys()
    /// True while every entry has exactly one peer: then updates are incremental.
    private var isExclusive = true

    private struct ClaimedKeys {
        var routes: Set<Route.Key> = []
        var neighbors: Set<Neighbor.Key> = []
        var fdbEntries: Set<FDBKey> = []

        init(capacity: Int = 0) {
            routes.reserveCapacity(capacity)
            neighbors.reserveCapacity(capacity)
            fdbEntries.reserveCapacity(capacity)
        }
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

    /// Moves the table to `peers`, a complete list: incrementally when every key has one peer,
    /// else in full (keys claimed by two peers, names repeated).
    mutating func update(to peers: [ClusterNode]) -> Change {
        var incoming: [String: ClusterNode] = Dictionary(minimumCapacity: peers.count)
        for peer in peers where incoming.updateValue(peer, forKey: peer.name) != nil {
            return rebuilt(peers, previous: desired.datapath)
        }
        var changes = incoming.compactMap { name, node in nodes[name] == node ? nil : PeerChange(name: name, node: node) }
        changes += nodes.keys.filter { incoming[$0] == nil }.map { PeerChange(name: $0, node: nil) }
        return apply(changes)
    }

    /// Applies the changes of some peers (new value, or nil when gone), in proportion to them:
    /// incrementally when every key has one peer, else in full.
    mutating func apply(_ changes: [PeerChange]) -> Change {
        guard isExclusive else { return rebuilt(applying: changes, previous: desired.datapath) }
        var delta = Delta()
        var withdrawn: Set<String> = []
        for change in changes where withdrawn.insert(change.name).inserted {
            guard let old = nodes[change.name] else { continue }
            let entries = entries(of: old)
            withdraw(entries, of: change.name)
            delta.removed.insert(entries)
        }
        for change in changes {
            guard let node = change.node else { continue }
            let entries = entries(of: node)
            guard claim(entries, for: change.name) else {
                return rebuilt(applying: changes, previous: desired.datapath.replacing(delta.added, with: delta.removed))
            }
            delta.added.insert(entries)
        }
        for change in changes { nodes[change.name] = change.node }
        if !changes.isEmpty { desired.skipped = sortedSkips() }
        return .delta(delta)
    }

    /// Rebuilds for the last peers moved by `changes`, reporting `previous` as the state before.
    private mutating func rebuilt(applying changes: [PeerChange], previous: DatapathState) -> Change {
        var next = nodes
        for change in changes { next[change.name] = change.node }
        return rebuilt(Array(next.values), previous: previous)
    }

    /// Rebuilds for `peers` and reports `previous` as the state before.
    private mutating func rebuilt(_ peers: [ClusterNode], previous: DatapathState) -> Change {
        rebuild(peers)
        return .rebuilt(previous: previous)
    }

    /// Recomputes everything for `peers`.
    private mutating func rebuild(_ peers: [ClusterNode]) {
        nodes = Dictionary(minimumCapacity: peers.count)
        skips = [:]
        claimed = ClaimedKeys(capacity: peers.count)
        desired = DesiredState(datapath: .empty, skipped: [])
        desired.datapath.reserveCapacity(peers.count)
        isExclusive = true
        for peer in peers {
            guard nodes.updateValue(peer, forKey: peer.name) == nil, claim(entries(of: peer), for: peer.name) else {
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

    /// `peer`'s entries under this table's configuration.
    private func entries(of peer: ClusterNode) -> PeerEntries {
        PeerEntries.of(peer, config: config, vxlanLinkIndex: vxlanLinkIndex)
    }

    /// Adds `entries` as `name`'s; false (nothing added) when a key is taken.
    private mutating func claim(_ entries: PeerEntries, for name: String) -> Bool {
        let taken = entries.routes.contains { claimed.routes.contains($0.key) }
            || entries.neighbors.contains { claimed.neighbors.contains($0.key) }
            || entries.fdbEntries.contains { claimed.fdbEntries.contains($0.key) }
        guard !taken else { return false }
        for route in entries.routes { claimed.routes.insert(route.key) }
        for neighbor in entries.neighbors { claimed.neighbors.insert(neighbor.key) }
        for entry in entries.fdbEntries { claimed.fdbEntries.insert(entry.key) }
        desired.datapath.insert(entries)
        if !entries.skipped.isEmpty { skips[name] = entries.skipped }
        return true
    }

    /// Removes `name`'s `entries`.
    private mutating func withdraw(_ entries: PeerEntries, of name: String) {
        skips[name] = nil
        for route in entries.routes { claimed.routes.remove(route.key) }
        for neighbor in entries.neighbors { claimed.neighbors.remove(neighbor.key) }
        for entry in entries.fdbEntries { claimed.fdbEntries.remove(entry.key) }
        desired.datapath.remove(entries)
    }

    /// Every peer's skip reasons, ordered by peer name (as `DesiredState.compute` orders them).
    private func sortedSkips() -> [SkippedPeer] {
        skips.sorted { $0.key < $1.key }.flatMap(\.value)
    }
}
