import Netlink

extension DatapathState {
    /// The state the kernel holds after a plan from `self` to `desired` was sent and only the
    /// operations in `failed` were refused: `desired`, except that a refused set leaves the
    /// entry `self` had under that key (or none), and a refused delete leaves the entry.
    /// What the reconciler remembers, so the next plan retries exactly the refused writes.
    func afterApplying(desired: DatapathState, failed: [DatapathOperation]) -> DatapathState {
        guard !failed.isEmpty else { return desired }
        let oldRoutes = Dictionary(routes.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let oldNeighbors = Dictionary(neighbors.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let oldFDBEntries = Dictionary(fdbEntries.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let oldNexthops = Dictionary(nexthops.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var state = desired
        for operation in failed {
            switch operation {
            case .addRoute(let route), .replaceRoute(let route):
                state.routes.remove(route)
                if let old = oldRoutes[route.key] { state.routes.insert(old) }
            case .addNeighbor(let neighbor), .replaceNeighbor(let neighbor):
                state.neighbors.remove(neighbor)
                if let old = oldNeighbors[neighbor.key] { state.neighbors.insert(old) }
            case .appendFDB(let entry), .replaceFDB(let entry):
                state.fdbEntries.remove(entry)
                if let old = oldFDBEntries[entry.key] { state.fdbEntries.insert(old) }
            case .addNexthop(let nexthop), .replaceNexthop(let nexthop):
                state.nexthops.remove(nexthop)
                if let old = oldNexthops[nexthop.id] { state.nexthops.insert(old) }
            case .deleteRoute(let route): state.routes.insert(route)
            case .deleteNeighbor(let neighbor): state.neighbors.insert(neighbor)
            case .deleteFDB(let entry): state.fdbEntries.insert(entry)
            case .deleteNexthop(let nexthop): state.nexthops.insert(nexthop)
            }
        }
        return state
    }
}

extension DatapathState {
    /// This state with the entries of `part` taken out and those of `replacement` put in.
    func replacing(_ part: DatapathState, with replacement: DatapathState) -> DatapathState {
        DatapathState(routes: routes.subtracting(part.routes).union(replacement.routes),
                      neighbors: neighbors.subtracting(part.neighbors).union(replacement.neighbors),
                      fdbEntries: fdbEntries.subtracting(part.fdbEntries).union(replacement.fdbEntries),
                      nexthops: nexthops.subtracting(part.nexthops).union(replacement.nexthops))
    }
}

extension DatapathState {
    /// Whether this state holds no entry at all.
    var isEmpty: Bool { count == 0 }

    /// This state with every entry of `other` added.
    func union(_ other: DatapathState) -> DatapathState {
        other.isEmpty ? self : replacing(.empty, with: other)
    }

    /// This state split by the keys of `other` (route: table, prefix, metric; neighbour: device,
    /// address; FDB: device, MAC; nexthop: id): the entries under a key `other` has, and the
    /// rest. Costs nothing when this state is empty (a fresh node's kernel).
    func partitioned(byKeysOf other: DatapathState) -> (shared: DatapathState, rest: DatapathState) {
        guard !isEmpty else { return (.empty, .empty) }
        func split<Entry: Hashable, Key: Hashable>(_ entries: Set<Entry>, _ others: Set<Entry>,
                                                   _ key: (Entry) -> Key) -> (Set<Entry>, Set<Entry>) {
            let keys = Set(others.lazy.map(key))
            var shared: Set<Entry> = [], rest: Set<Entry> = []
            for entry in entries {
                if keys.contains(key(entry)) { shared.insert(entry) } else { rest.insert(entry) }
            }
            return (shared, rest)
        }
        let routes = split(routes, other.routes, \.key)
        let neighbors = split(neighbors, other.neighbors, \.key)
        let fdbEntries = split(fdbEntries, other.fdbEntries, \.key)
        let nexthops = split(nexthops, other.nexthops, \.id)
        return (DatapathState(routes: routes.0, neighbors: neighbors.0, fdbEntries: fdbEntries.0, nexthops: nexthops.0),
                DatapathState(routes: routes.1, neighbors: neighbors.1, fdbEntries: fdbEntries.1, nexthops: nexthops.1))
    }
}
