/// The cluster's nodes as the node keys in etcd describe them, kept up to date from a list and
/// then from watch events. Pure; records that do not parse are left out and reported, so one bad
/// record never costs the rest of the set.
struct NodeSet: Hashable {
    private(set) var byName: [String: ClusterNode] = [:]

    /// Every node, ordered by name.
    var nodes: [ClusterNode] {
        byName.values.sorted { $0.name < $1.name }
    }

    /// Replaces the set with a complete list of node keys; returns the keys left out.
    mutating func replace(with kvs: [EtcdKeyValue]) -> [String] {
        byName = [:]
        return kvs.compactMap { put($0) }
    }

    /// Applies watch events in order; returns the keys whose new value was left out. A key
    /// whose new value does not parse drops the node: its record no longer says how to reach it.
    mutating func apply(_ events: [EtcdEvent]) -> [String] {
        events.compactMap { event in
            switch event.kind {
            case .put:
                return put(event.kv)
            case .delete:
                if let name = EtcdKeys.nodeName(fromKey: event.kv.key) { byName[name] = nil }
                return nil
            }
        }
    }

    /// Stores one node key; returns the key when it was left out.
    private mutating func put(_ kv: EtcdKeyValue) -> String? {
        guard let name = EtcdKeys.nodeName(fromKey: kv.key) else { return kv.key }
        guard let record = try? EtcdNodeRecord(bytes: kv.value), let node = record.node(named: name) else {
            byName[name] = nil
            return kv.key
        }
        byName[name] = node
        return nil
    }
}
