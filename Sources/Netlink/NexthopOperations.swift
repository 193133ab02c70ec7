import CNetlink
#if canImport(Glibc)
import Glibc
#endif

extension NetlinkHandle {
    /// Adds `nexthop`; fails with `isExists` when the id is taken.
    /// `ip nexthop add id ID via GW dev DEV [onlink] proto P`. Throws `isNotFound` for a missing
    /// device, `ENETUNREACH` for a gateway not reachable without `onlink`, `EOPNOTSUPP` (or
    /// `EINVAL`) on a kernel without nexthop objects (before 5.3).
    public func addNexthop(_ nexthop: Nexthop) throws {
        try execute(.addNexthop(nexthop))
    }

    /// Adds `nexthop` or changes the one with its id in place; routes referring to it follow.
    /// `ip nexthop replace id ID via GW dev DEV [onlink] proto P`.
    public func replaceNexthop(_ nexthop: Nexthop) throws {
        try execute(.replaceNexthop(nexthop))
    }

    /// Deletes the nexthop with `nexthop.id`, and with it every route referring to it (delete
    /// those routes first). `ip nexthop del id ID`. Throws `isNotFound` when no such id exists.
    public func deleteNexthop(_ nexthop: Nexthop) throws {
        try execute(.deleteNexthop(nexthop))
    }

    /// The single-gateway nexthops in the namespace (groups and blackholes are left out),
    /// optionally only those installed with `protocol` and with an id in `ids`: one dump.
    /// `ip nexthop show [proto P]`. Throws `EOPNOTSUPP` (or `EINVAL`) on a kernel without
    /// nexthop objects.
    public func nexthops(protocol: RouteProtocol? = nil, ids: ClosedRange<UInt32>? = nil) throws -> [Nexthop] {
        try perform({ _ in "nexthop show" }) { socket throws(SocketFailure) in
            try socket.dump(type: Int32(RTM_GETNEXTHOP), header: nhmsg()) { message in
                Nexthop(message: message).map { [$0] } ?? []
            }
            .filter { nexthop in
                `protocol`.map { nexthop.protocol == $0 } ?? true && ids.map { $0.contains(nexthop.id) } ?? true
            }
        }
    }
}
