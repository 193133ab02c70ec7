import CNetlink
import NetworkModel

/// A unicast route: what Trellis programs and what it reads back to compare. Fields the kernel
/// keeps beyond these (cache info, preference, expiry) are not represented.
///
/// Kernel normalisations to keep in mind when comparing desired with observed routes: IPv6
/// routes always report scope `.universe`, and an IPv6 metric of 0 is stored as 1024.
public struct Route: Hashable, Sendable {
    /// The main routing table (`ip route` without `table`): 254.
    public static let mainTable: UInt32 = 254

    /// The destination network (`default` is `0.0.0.0/0` or `::/0`); host bits must be zero.
    public var destination: IPPrefix
    /// The next hop (`via`); `nil` for a directly connected destination.
    public var gateway: IPAddress?
    /// The outgoing interface (`dev`); `nil` lets the kernel choose by gateway.
    public var linkIndex: Int32?
    /// The routing table (`table`).
    public var table: UInt32
    /// `.link` for a device route without gateway (`scope link`), `.universe` otherwise.
    public var scope: RouteScope
    /// Who installed the route (`proto`): Trellis marks its own routes with its own number.
    public var `protocol`: RouteProtocol
    /// Treat the gateway as directly reachable on `linkIndex` even without a covering address
    /// (`onlink`): how vxlan routes reach peer VTEPs.
    public var onLink: Bool
    /// The route's priority (`metric`); lower wins.
    public var metric: UInt32
    /// The preferred source address for locally originated packets (`src`).
    public var source: IPAddress?
    /// The nexthop object the route refers to (`nhid`). When set, a request carries only the id:
    /// `gateway`, `linkIndex` and `onLink` then describe that nexthop as the kernel reports it
    /// in the route, and are not sent.
    public var nexthopID: UInt32?

    /// A route; every property as documented on the type.
    public init(destination: IPPrefix, gateway: IPAddress? = nil, linkIndex: Int32? = nil,
                table: UInt32 = Route.mainTable, scope: RouteScope = .universe,
                protocol: RouteProtocol = .boot, onLink: Bool = false, metric: UInt32 = 0,
                source: IPAddress? = nil, nexthopID: UInt32? = nil) {
        self.destination = destination
        self.gateway = gateway
        self.linkIndex = linkIndex
        self.table = table
        self.scope = scope
        self.protocol = `protocol`
        self.onLink = onLink
        self.metric = metric
        self.source = source
        self.nexthopID = nexthopID
    }

    /// The kernel's identity of a route: two routes with equal keys cannot coexist, and
    /// `replaceRoute` changes the route with the same key in place.
    public struct Key: Hashable, Sendable {
        /// The routing table.
        public var table: UInt32
        /// The destination network (its family is the route's family).
        public var destination: IPPrefix
        /// The metric (IPv6 stores 0 as 1024).
        public var metric: UInt32

        /// A route identity; `metric` as the kernel stores it.
        public init(table: UInt32 = Route.mainTable, destination: IPPrefix, metric: UInt32 = 0) {
            self.table = table
            self.destination = destination
            self.metric = metric
        }
    }

    /// This route's identity, for diffing desired against observed routes.
    public var key: Key { Key(table: table, destination: destination, metric: metric) }

    /// The route as the kernel will report it after adding this one: for IPv6, scope
    /// `.universe` and a metric of 0 stored as 1024. Compare observed routes with desired
    /// routes in this form.
    public var kernelNormalized: Route {
        guard destination.family == .v6 else { return self }
        var route = self
        route.scope = .universe
        if route.metric == 0 { route.metric = 1024 }
        return route
    }
}

/// Who installed a route (`rtm_protocol`, `ip route ... proto N`). Trellis marks its own routes
/// with a number of its own so it never touches anyone else's.
public struct RouteProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The kernel's number.
    public let rawValue: UInt8
    /// Wraps the kernel's number; any value is valid.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Installed by the kernel itself (prefix routes of addresses).
    public static let kernel = RouteProtocol(rawValue: 2)
    /// Installed during boot, the default of `ip route add`.
    public static let boot = RouteProtocol(rawValue: 3)
    /// Installed by an administrator (`proto static`).
    public static let `static` = RouteProtocol(rawValue: 4)

    /// The number, as `ip route` prints unnamed protocols.
    public var description: String { String(rawValue) }
}

/// How far a route or address reaches (`rtm_scope`, `ifa_scope`).
public enum RouteScope: UInt8, Hashable, Sendable {
    /// Anywhere: routes via a gateway, global addresses.
    case universe = 0
    /// Within the site (IPv6 site-local; unused by Trellis).
    case site = 200
    /// Only on the attached link: device routes without gateway, link-local addresses.
    case link = 253
    /// Only on this host: local and loopback addresses.
    case host = 254
    /// Nowhere: the destination does not exist.
    case nowhere = 255
}

extension Route {
    /// The route in a parsed `rtnl_route`, or `nil` for anything but a plain unicast route
    /// (local, broadcast, multicast, blackhole, cached clones). A multipath route yields its
    /// first next hop.
    init?(libnl object: OpaquePointer) {
        guard rtnl_route_get_type(object) == UInt8(RTN_UNICAST),
              rtnl_route_get_flags(object) & UInt32(RTM_F_CLONED) == 0,
              let family = IPFamily(addressFamily: Int32(rtnl_route_get_family(object))) else { return nil }
        let dst = rtnl_route_get_dst(object)
        let length = dst.map { Int(nl_addr_get_prefixlen($0)) } ?? 0
        let address = ipAddress(of: dst) ?? IPAddress(family: family, value: 0)
        guard let destination = IPPrefix(address: address, length: length) else { return nil }
        let hop = rtnl_route_get_nnexthops(object) > 0 ? rtnl_route_nexthop_n(object, 0) : nil
        let linkIndex = hop.map { rtnl_route_nh_get_ifindex($0) } ?? 0
        self.init(destination: destination,
                  gateway: hop.flatMap { ipAddress(of: rtnl_route_nh_get_gateway($0)) },
                  linkIndex: linkIndex > 0 ? linkIndex : nil,
                  table: rtnl_route_get_table(object),
                  scope: RouteScope(rawValue: rtnl_route_get_scope(object)) ?? .universe,
                  protocol: RouteProtocol(rawValue: rtnl_route_get_protocol(object)),
                  onLink: hop.map { rtnl_route_nh_get_flags($0) & UInt32(RTNH_F_ONLINK) != 0 } ?? false,
                  metric: rtnl_route_get_priority(object),
                  source: ipAddress(of: rtnl_route_get_pref_src(object)))
    }

    /// An `rtnl_route` describing this route for a request. `matchAnyScope` leaves the scope
    /// out (RT_SCOPE_NOWHERE), as `ip route del` does.
    func libnlObject(matchAnyScope: Bool = false) -> Object {
        let route = Object(owning: rtnl_route_alloc()!)
        rtnl_route_set_family(route.raw, UInt8(destination.family.addressFamily))
        _ = withNLAddress(destination) { rtnl_route_set_dst(route.raw, $0) }
        rtnl_route_set_table(route.raw, table)
        if !matchAnyScope {
            rtnl_route_set_scope(route.raw, scope.rawValue)
        } else if nexthopID != nil {
            // Without a gateway libnl would guess scope link, which no nexthop route has;
            // universe (0) matches any scope, as the guess does for a route with a gateway.
            rtnl_route_set_scope(route.raw, RouteScope.universe.rawValue)
        }
        rtnl_route_set_protocol(route.raw, self.protocol.rawValue)
        rtnl_route_set_priority(route.raw, metric)
        _ = rtnl_route_set_type(route.raw, UInt8(RTN_UNICAST))
        if let source { _ = withNLAddress(source) { rtnl_route_set_pref_src(route.raw, $0) } }
        if nexthopID == nil, gateway != nil || linkIndex != nil {
            let hop = rtnl_route_nh_alloc()!
            if let linkIndex { rtnl_route_nh_set_ifindex(hop, linkIndex) }
            if let gateway { withNLAddress(gateway) { rtnl_route_nh_set_gateway(hop, $0) } }
            if onLink { rtnl_route_nh_set_flags(hop, UInt32(RTNH_F_ONLINK)) }
            rtnl_route_add_nexthop(route.raw, hop)  // the route owns the hop from here
        }
        return route
    }

    /// `"10.244.2.0/24 via 10.244.2.0 dev trellis.vxlan onlink"` (`"10.244.2.0/24 nhid N"` for a
    /// route referring to a nexthop object), naming the device via `names`.
    func describe(_ names: DeviceNames) -> String {
        var text = "\(destination)"
        if let nexthopID { return text + " nhid \(nexthopID)" + (table != Route.mainTable ? " table \(table)" : "") }
        if let gateway { text += " via \(gateway)" }
        if let linkIndex { text += " dev \(names(linkIndex))" }
        if onLink { text += " onlink" }
        if table != Route.mainTable { text += " table \(table)" }
        if metric != 0 { text += " metric \(metric)" }
        return text
    }
}
