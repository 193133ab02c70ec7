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
        let observedRouteKeys = Set(observed.routes.map(\.key))
        let desiredRouteKeys = Set(desired.routes.map(\.key))
        let desiredNeighborKeys = Set(desired.neighbors.map(\.key))
        let desiredFDBKeys = Set(desired.fdbEntries.map(\.key))
        let observedNexthopIDs = Set(observed.nexthops.map(\.id))
        let desiredNexthopIDs = Set(desired.nexthops.map(\.id))

        var operations: [DatapathOperation] = []
        operations += desired.neighbors.subtracting(observed.neighbors).sorted(by: Order.neighbors)
            .map { .replaceNeighbor($0) }
        operations += desired.fdbEntries.subtracting(observed.fdbEntries).sorted(by: Order.fdbEntries)
            .map { .replaceFDB($0) }
        operations += desired.nexthops.subtracting(observed.nexthops).sorted { $0.id < $1.id }
            .map { observedNexthopIDs.contains($0.id) ? .replaceNexthop($0) : .addNexthop($0) }
        operations += desired.routes.subtracting(observed.routes).sorted(by: Order.routes)
            .map { observedRouteKeys.contains($0.key) ? .replaceRoute($0) : .addRoute($0) }
        operations += observed.routes.filter { !desiredRouteKeys.contains($0.key) }.sorted(by: Order.routes)
            .map { .deleteRoute($0) }
        operations += observed.nexthops.filter { !desiredNexthopIDs.contains($0.id) }.sorted { $0.id < $1.id }
            .map { .deleteNexthop($0) }
        operations += observed.neighbors.filter { !desiredNeighborKeys.contains($0.key) }.sorted(by: Order.neighbors)
            .map { .deleteNeighbor($0) }
        operations += observed.fdbEntries.filter { !desiredFDBKeys.contains($0.key) }.sorted(by: Order.fdbEntries)
            .map { .deleteFDB($0) }
        return operations
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
            a.mac.bytes != b.mac.bytes ? a.mac.bytes.lexicographicallyPrecedes(b.mac.bytes) : a.destination < b.destination
        }
    }
}
