/// The cluster's nodes as the Node objects of the API server describe them, kept up to date from
/// a list and then from watch events. Pure. A Node without a slice (`spec.podCIDRs` not assigned
/// yet) or without an address is left out until an event gives it one; a node that loses either
/// is dropped, since its object no longer says how to reach it.
///
/// The etcd side's `NodeSet` keeps the same by-name map, but its entries come from etcd keys and
/// records; this one takes `KubeNode`s.
struct KubeNodeSet: Hashable {
    private(set) var byName: [String: ClusterNode] = [:]

    /// Every node, ordered by name.
    var nodes: [ClusterNode] {
        byName.values.sorted { $0.name < $1.name }
    }

    /// Replaces the set with a complete list; returns the names of the nodes left out.
    mutating func replace(with items: [KubeNode]) -> [String] {
        byName = [:]
        return items.compactMap { put($0) ? nil : $0.name }
    }

    /// Applies one watch event; returns whether the set changed. Bookmarks and errors change nothing.
    mutating func apply(_ event: KubeWatchEvent) -> Bool {
        let before = byName
        switch event {
        case .added(let node), .modified(let node):
            put(node)
        case .deleted(let node):
            byName[node.name] = nil
        case .bookmark, .error:
            break
        }
        return byName != before
    }

    /// Stores one node, or drops it when it has no slice or address; returns whether it is in.
    @discardableResult
    private mutating func put(_ item: KubeNode) -> Bool {
        byName[item.name] = item.clusterNode
        return byName[item.name] != nil
    }
}
