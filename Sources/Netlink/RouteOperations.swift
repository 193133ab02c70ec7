import CNetlink
import IPAM
#if canImport(Glibc)
import Glibc
#endif

extension NetlinkHandle {
    /// Adds `route`; fails when a route with the same key exists.
    /// `ip route add DEST [via GW] [dev DEV] [onlink] [table T] [proto P] [scope S] [metric M] [src SRC]`.
    /// Throws `isExists` ("File exists") for a duplicate, `isNotFound` for a missing device,
    /// `ENETUNREACH` for a gateway not reachable without `onlink`.
    public func addRoute(_ route: Route) throws {
        try perform({ "route add \(route.describe($0))" }) { socket throws(SocketFailure) in
            try socket.execute(route.addRequest(flags: NLM_F_CREATE | NLM_F_EXCL))
        }
    }

    /// Adds `route` or changes the route with the same key in place. `ip route replace ...`.
    public func replaceRoute(_ route: Route) throws {
        try perform({ "route replace \(route.describe($0))" }) { socket throws(SocketFailure) in
            try socket.execute(route.replaceRequest())
        }
    }

    /// Replaces every route in `routes`, `batchSize` requests per datagram: no dump, no wait per
    /// entry. Every route is attempted; throws `NetlinkError.batch` naming each one that failed.
    /// `ip -batch` of `route replace ...` lines.
    public func replaceRoutes(_ routes: [Route]) throws {
        try performBatch(routes, "route replace (\(routes.count) routes)",
                         describe: { "route replace \($0.describe($1))" },
                         build: { route throws(SocketFailure) in try route.replaceRequest() })
    }

    /// Deletes the route matching `route`'s destination, table, metric, protocol and next hop
    /// (any scope). `ip route del DEST [via GW] [dev DEV] [table T] [proto P] [metric M]`.
    /// Throws `isNotFound` (`ESRCH`, `ENOENT`) when no such route exists.
    public func deleteRoute(_ route: Route) throws {
        try perform({ "route del \(route.describe($0))" }) { socket throws(SocketFailure) in
            let object = route.libnlObject(matchAnyScope: true)
            try socket.execute(Message { rtnl_route_build_del_request(object.raw, 0, $0) })
        }
    }

    /// The unicast routes of `table` (main by default), optionally only one family and one
    /// protocol: one dump. `ip [-4|-6] route show table T [proto P]`.
    public func routes(family: IPFamily? = nil, table: UInt32 = Route.mainTable,
                       protocol: RouteProtocol? = nil) throws -> [Route] {
        try perform({ _ in "route show table \(table)" }) { socket throws(SocketFailure) in
            var header = rtmsg()
            header.rtm_family = UInt8(family?.addressFamily ?? AF_UNSPEC)
            return try socket.dump(type: Int32(RTM_GETROUTE), header: header)
                .compactMap { Route(libnl: $0.raw) }
                .filter { route in
                    route.table == table && `protocol`.map { route.protocol == $0 } ?? true
                }
        }
    }
}

extension Route {
    func addRequest(flags: Int32) throws(SocketFailure) -> Message {
        let object = libnlObject()
        return try Message { rtnl_route_build_add_request(object.raw, flags, $0) }
    }

    func replaceRequest() throws(SocketFailure) -> Message {
        try addRequest(flags: NLM_F_CREATE | NLM_F_REPLACE)
    }
}
