import CNetlink

/// One write of a route, nexthop, neighbour or FDB entry: what a reconciler's plan turns into, and what
/// `NetlinkHandle.apply` sends in batches. Every single-entry method (`addRoute`,
/// `replaceNeighbor`, `appendFDB`, ...) is one of these sent on its own.
public enum NetlinkChange: Hashable, Sendable {
    /// `ip route add`: fails with `isExists` when a route with the same key exists.
    case addRoute(Route)
    /// `ip route replace`: adds, or changes the route with the same key in place.
    case replaceRoute(Route)
    /// `ip route del`: removes the matching route (any scope).
    case deleteRoute(Route)
    /// `ip neigh add ... nud permanent`: fails with `isExists` when the entry exists.
    case addNeighbor(Neighbor)
    /// `ip neigh replace ... nud permanent`: adds or overwrites the entry.
    case replaceNeighbor(Neighbor)
    /// `ip neigh del`: removes the entry for the address on the device.
    case deleteNeighbor(Neighbor)
    /// `bridge fdb append ... self permanent`: adds one destination for the MAC.
    case appendFDB(FDBEntry)
    /// `bridge fdb replace ... self permanent`: makes it the MAC's only destination.
    case replaceFDB(FDBEntry)
    /// `bridge fdb del ... self`: removes that destination of the MAC.
    case deleteFDB(FDBEntry)
    /// `ip nexthop add`: fails with `isExists` when the id is taken.
    case addNexthop(Nexthop)
    /// `ip nexthop replace`: adds, or changes the nexthop with the same id in place.
    case replaceNexthop(Nexthop)
    /// `ip nexthop del`: removes the nexthop with the id, and the routes referring to it.
    case deleteNexthop(Nexthop)

    /// A change of a batch that the kernel refused; the others took effect.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The change's position in the batch.
        public let index: Int
        /// The refused change.
        public let change: NetlinkChange
        /// Why: the operation in `ip`'s words and the kernel's errno.
        public let error: NetlinkError

        /// The error's description.
        public var description: String { error.description }
    }
}

extension NetlinkChange {
    /// The request for this change.
    func message() throws(SocketFailure) -> Message {
        switch self {
        case .addRoute(let route): try route.request(flags: NLM_F_CREATE | NLM_F_EXCL)
        case .replaceRoute(let route): try route.request(flags: NLM_F_CREATE | NLM_F_REPLACE)
        case .deleteRoute(let route): try route.deleteRequest()
        case .addNeighbor(let neighbor): try neighbor.request(flags: NLM_F_CREATE | NLM_F_EXCL)
        case .replaceNeighbor(let neighbor): try neighbor.request(flags: NLM_F_CREATE | NLM_F_REPLACE)
        case .deleteNeighbor(let neighbor): try neighbor.deleteRequest()
        case .appendFDB(let entry): try entry.request(flags: NLM_F_CREATE | NLM_F_APPEND)
        case .replaceFDB(let entry): try entry.request(flags: NLM_F_CREATE | NLM_F_REPLACE)
        case .deleteFDB(let entry): try entry.deleteRequest()
        case .addNexthop(let nexthop): try nexthop.request(flags: NLM_F_CREATE | NLM_F_EXCL)
        case .replaceNexthop(let nexthop): try nexthop.request(flags: NLM_F_CREATE | NLM_F_REPLACE)
        case .deleteNexthop(let nexthop): try nexthop.deleteRequest()
        }
    }

    /// `"route replace 10.244.2.0/24 via 10.244.2.0 dev trellis.vxlan onlink"`.
    func describe(_ names: DeviceNames) -> String {
        switch self {
        case .addRoute(let route): "route add \(route.describe(names))"
        case .replaceRoute(let route): "route replace \(route.describe(names))"
        case .deleteRoute(let route): "route del \(route.describe(names))"
        case .addNeighbor(let neighbor): "neigh add \(neighbor.describe(names))"
        case .replaceNeighbor(let neighbor): "neigh replace \(neighbor.describe(names))"
        case .deleteNeighbor(let neighbor): "neigh del \(neighbor.describe(names))"
        case .appendFDB(let entry): "fdb append \(entry.describe(names))"
        case .replaceFDB(let entry): "fdb replace \(entry.describe(names))"
        case .deleteFDB(let entry): "fdb del \(entry.describe(names))"
        case .addNexthop(let nexthop): "nexthop add \(nexthop.describe(names))"
        case .replaceNexthop(let nexthop): "nexthop replace \(nexthop.describe(names))"
        case .deleteNexthop(let nexthop): "nexthop del id \(nexthop.id)"
        }
    }
}

extension NetlinkHandle {
    /// Sends `changes` in order, `batchSize` requests per datagram and ACK cycle (the kernel
    /// handles them in that order), without any dump. Every change is attempted; returns the
    /// ones the kernel refused, in order (empty when all took effect). Throws `NetlinkError`
    /// only when the socket itself fails, leaving later chunks unsent.
    @discardableResult
    public func apply(_ changes: [NetlinkChange]) throws -> [NetlinkChange.Failure] {
        try performBatch(changes, "apply \(changes.count) changes",
                         describe: { change, names in change.describe(names) },
                         build: { change throws(SocketFailure) in try change.message() })
            .map { NetlinkChange.Failure(index: $0.index, change: changes[$0.index], error: $0.error) }
    }

    /// Applies `changes` in batches and throws `NetlinkError.batch` naming every refused one.
    func applyAll(_ changes: [NetlinkChange], _ operation: String) throws {
        let failures = try apply(changes)
        if !failures.isEmpty { throw NetlinkError.batch(operation: operation, failures: failures.map(\.error)) }
    }

    /// Sends one change and waits for the kernel's answer.
    func execute(_ change: NetlinkChange) throws {
        try perform({ change.describe($0) }) { socket throws(SocketFailure) in
            try socket.execute(change.message())
        }
    }
}
