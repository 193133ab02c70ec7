import CNetlink
import NetworkModel
#if canImport(Glibc)
import Glibc
#endif

extension NetlinkHandle {
    /// Adds `route`; fails when a route with the same key exists.
    /// `ip route add DEST [via GW] [dev DEV] [onlink] [table T] [proto P] [scope S] [metric M] [src SRC]`.
    /// Throws `isExists` ("File exists") for a duplicate, `isNotFound` for a missing device,
    /// `ENETUNREACH` for a gateway not reachable without `onlink`, `ENETDOWN` for `onlink`
    /// on a device that is down.
    public func addRoute(_ route: Route) throws {
        try execute(.addRoute(route))
    }

    /// Adds `route` or changes the route with the same key in place. `ip route replace ...`.
    public func replaceRoute(_ route: Route) throws {
        try execute(.replaceRoute(route))
    }

    /// Replaces every route in `routes`, `batchSize` requests per datagram: no dump, no wait per
    /// entry. Every route is attempted; throws `NetlinkError.batch` naming each one that failed.
    /// `ip -batch` of `route replace ...` lines. (`apply` reports failures by position.)
    public func replaceRoutes(_ routes: [Route]) throws {
        try applyAll(routes.map(NetlinkChange.replaceRoute), "route replace (\(routes.count) routes)")
    }

    /// Deletes the route matching `route`'s destination, table, metric, protocol and next hop
    /// (any scope). `ip route del DEST [via GW] [dev DEV] [table T] [proto P] [metric M]`.
    /// Throws `isNotFound` (`ESRCH`, `ENOENT`) when no such route exists.
    public func deleteRoute(_ route: Route) throws {
        try execute(.deleteRoute(route))
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
    /// An RTM_NEWROUTE request with `flags` (NLM_F_EXCL to add, NLM_F_REPLACE to replace).
    func request(flags: Int32) throws(SocketFailure) -> Message {
        let object = libnlObject()
        return try Message { rtnl_route_build_add_request(object.raw, flags, $0) }
    }

    /// An RTM_DELROUTE request that matches any scope, as `ip route del` does.
    func deleteRequest() throws(SocketFailure) -> Message {
        let object = libnlObject(matchAnyScope: true)
        return try Message { rtnl_route_build_del_request(object.raw, 0, $0) }
    }
}
