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
    /// (any scope; for a route referring to a nexthop object, any next hop). `ip route del DEST [via GW] [dev DEV] [table T] [proto P] [metric M]`.
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
            return try socket.dump(type: Int32(RTM_GETROUTE), header: header, decode: Route.parsing)
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
        return try withNexthopID(Message { rtnl_route_build_add_request(object.raw, flags, $0) })
    }

    /// An RTM_DELROUTE request that matches any scope, as `ip route del` does. A route referring
    /// to a nexthop is matched without its id: the kernel answers EINVAL, not ESRCH, for an id
    /// that is gone (`ip nexthop flush` deleted the route with it), and the key already names
    /// exactly one route.
    func deleteRequest() throws(SocketFailure) -> Message {
        let object = libnlObject(matchAnyScope: true)
        return try Message { rtnl_route_build_del_request(object.raw, 0, $0) }
    }

    /// `message` with RTA_NH_ID appended when the route refers to a nexthop object (libnl 3.7
    /// knows no such attribute).
    private func withNexthopID(_ message: Message) throws(SocketFailure) -> Message {
        if let nexthopID { try message.put(Int32(RTA_NH_ID.rawValue), nexthopID) }
        return message
    }

    /// The unicast routes in a received RTM_NEWROUTE message, with the RTA_NH_ID libnl drops.
    static func parsing(_ message: OpaquePointer) -> [Route] {
        let attribute = nlmsg_find_attr(nlmsg_hdr(message), Int32(MemoryLayout<rtmsg>.size), Int32(RTA_NH_ID.rawValue))
        return Object.parsing(message).compactMap { object in
            var route = Route(libnl: object.raw)
            route?.nexthopID = attribute.map { nla_get_u32($0) }
            return route
        }
    }
}
