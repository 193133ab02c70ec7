import Netlink

/// How the agent programs its vxlan routes to peers (shown as `routeShape` in `cnictl status`).
///
/// The desired state is computed in the onlink shape (`DesiredState`); in the nexthop shape the
/// reconciler moves each vxlan route's gateway into a nexthop object of its own
/// (`DatapathState.movingGateways(into:protocol:)`) before planning. Direct routes keep their
/// gateway in either shape.
public enum RouteShape: String, Hashable, Sendable, Codable {
    /// `ip nexthop add id N via VTEP dev trellis.vxlan onlink` + `ip route add CIDR nhid N`: the
    /// kernel's cost per route stays flat however many peers there are.
    case nexthop
    /// `ip route add CIDR via VTEP dev trellis.vxlan onlink`: for kernels without nexthop
    /// objects (before 5.3), which slow down with the number of distinct gateways.
    case onlink
}

extension DatapathState {
    /// This state in the nexthop shape: every onlink route with a gateway and a device refers to
    /// a nexthop object holding them (id from `ids`, which keeps the id of a gateway it already
    /// knows), and the state holds those nexthops with `protocol`. Other routes are unchanged.
    func movingGateways(into ids: inout NexthopIDs, protocol: RouteProtocol) -> DatapathState {
        var state = self
        state.routes = []
        state.routes.reserveCapacity(routes.count)
        state.nexthops.reserveCapacity(routes.count)
        for var route in routes {
            if route.onLink, let gateway = route.gateway, let linkIndex = route.linkIndex {
                let nexthop = Nexthop(id: ids.id(for: NexthopIDs.Target(gateway: gateway, linkIndex: linkIndex)),
                                      gateway: gateway, linkIndex: linkIndex, onLink: true, protocol: `protocol`)
                route.nexthopID = nexthop.id
                state.nexthops.insert(nexthop)
            }
            state.routes.insert(route)
        }
        return state
    }

    /// The gateways (with their devices) of the onlink routes that `movingGateways` turns into
    /// nexthops.
    var nexthopTargets: Set<NexthopIDs.Target> {
        Set(routes.lazy.compactMap { route in
            guard route.onLink, let gateway = route.gateway, let linkIndex = route.linkIndex else { return nil }
            return NexthopIDs.Target(gateway: gateway, linkIndex: linkIndex)
        })
    }
}
