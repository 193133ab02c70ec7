import Netlink

/// One write the planner asks for: a Netlink change (`replaceNeighbor`, `replaceFDB`,
/// `addNexthop`, `replaceNexthop`, `addRoute`, `replaceRoute`, `deleteRoute`, `deleteNexthop`,
/// `deleteNeighbor`, `deleteFDB`), sent in order.
public typealias DatapathOperation = NetlinkChange

/// The diff from what the datapath holds to what it should hold: a pure function, so ordering
/// and ownership rules live here and in its tests, not in prose.
///
/// Why this is tricky: an onlink route via a VTEP address is only usable once the kernel can
/// resolve that address (the neighbour entry) and knows where to send its MAC (the FDB
/// entry); a route that outlives them blackholes traffic. So adds go neighbour, FDB, nexthop,
/// route, and removals go route, nexthop, neighbour, FDB. A nexthop object must exist before a
/// route refers to it, and deleting one deletes the routes still referring to it: so it is
/// removed only after its routes. Flannel's vxlan backend removes them the other way
/// round and, on a peer's new MAC, leaves the old FDB entry behind (flannel #1795, #1788); here
/// an entry whose key (route: table, prefix, metric; neighbour: device, address; FDB: device,
/// MAC; nexthop: id) survives is replaced in place, never deleted and re-added, and every
/// observed entry whose key is no longer desired is deleted.
public enum Planner {
    /// The operations turning `observed` into `desired`, in this order: neighbours to set, FDB
    /// entries to set, nexthops to add (new id) or replace (changed), routes to add (new key) or
    /// replace (changed), routes to delete, nexthops to delete, neighbours to delete, FDB entries
    /// to delete. Within a group, entries are sorted by address (MAC for FDB entries, id for
    /// nexthops), so equal inputs give equal plans. Empty when they agree.
    ///
    /// `observed` must hold only entries Trellis owns: whatever it holds and `desired` does not
    /// is deleted.
    public static func plan(desired: DatapathState, observed: DatapathState) -> [DatapathOperation] {
        groups(desired: desired, observed: observed).flatMap { $0() }
    }

    /// `plan(desired:observed:)` in its eight groups, in order, each built only when called: a
    /// first pass at 20,000 peers plans 80,000 writes, and sending them group by group holds
    /// one group at a time instead of the whole plan.
    public static func groups(desired: DatapathState, observed: DatapathState) -> [() -> [DatapathOperation]] {
        [
            { desired.neighbors.lazy.filter { !observed.neighbors.contains($0) }.sorted(by: Order.neighbors)
                .map { .replaceNeighbor($0) } },
            { desired.fdbEntries.lazy.filter { !observed.fdbEntries.contains($0) }.sorted(by: Order.fdbEntries)
                .map { .replaceFDB($0) } },
            {
                let observedIDs = observed.nexthops.isEmpty ? [] : Set(observed.nexthops.map(\.id))
                return desired.nexthops.lazy.filter { !observed.nexthops.contains($0) }.sorted { $0.id < $1.id }
                    .map { observedIDs.contains($0.id) ? .replaceNexthop($0) : .addNexthop($0) }
            },
            {
                let observedKeys = observed.routes.isEmpty ? [] : Set(observed.routes.map(\.key))
                return desired.routes.lazy.filter { !observed.routes.contains($0) }.sorted(by: Order.routes)
                    .map { observedKeys.contains($0.key) ? .replaceRoute($0) : .addRoute($0) }
            },
            { stale(observed.routes, desired.routes, key: \.key).sorted(by: Order.routes).map { .deleteRoute($0) } },
            { stale(observed.nexthops, desired.nexthops, key: \.id).sorted { $0.id < $1.id }.map { .deleteNexthop($0) } },
            { stale(observed.neighbors, desired.neighbors, key: \.key).sorted(by: Order.neighbors).map { .deleteNeighbor($0) } },
            { stale(observed.fdbEntries, desired.fdbEntries, key: \.key).sorted(by: Order.fdbEntries).map { .deleteFDB($0) } },
        ]
    }

    /// The `observed` entries whose key no `desired` entry has (none to look for when nothing
    /// is observed, as on a fresh node).
    private static func stale<Entry: Hashable, Key: Hashable>(_ observed: Set<Entry>, _ desired: Set<Entry>,
                                                              key: (Entry) -> Key) -> [Entry] {
        guard !observed.isEmpty else { return [] }
        let desiredKeys = Set(desired.lazy.map(key))
        var stale: [Entry] = []
        for entry in observed where !desiredKeys.contains(key(entry)) { stale.append(entry) }
        return stale
    }

    /// Sort orders that make plans reproducible.
    private enum Order {
        static func routes(_ a: Route, _ b: Route) -> Bool {
            (a.destination.address, a.destination.length, a.metric) < (b.destination.address, b.destination.length, b.metric)
        }

        static func neighbors(_ a: Neighbor, _ b: Neighbor) -> Bool {
            (a.address, a.linkIndex) < (b.address, b.linkIndex)
        }

        static func fdbEntries(_ a: FDBEntry, _ b: FDBEntry) -> Bool {
            (a.mac.value, a.destination) < (b.mac.value, b.destination)
        }
    }
}
