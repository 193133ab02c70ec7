import Netlink

/// Removes what the agent programmed, for `trellisd uninstall` only (stopping the agent removes
/// nothing): the routes carrying Trellis's protocol, then its nexthop objects, then the vxlan
/// device, which takes its neighbours and FDB entries with it. Entries of other owners stay.
/// Routes go before their nexthops: deleting a nexthop makes the kernel hunt down every route
/// referring to it, which at thousands of peers costs minutes.
public enum DatapathRemoval {
    /// Deletes every main-table route with `routeProtocol`, every nexthop with `routeProtocol`
    /// and an id in `nexthopIDs` (none on a kernel without nexthops), and the device
    /// `deviceName`. Returns one line per thing removed (as `ip` would name it). Entries already
    /// gone are not errors. Throws the `NetlinkError` of a refused delete.
    public static func remove(handle: NetlinkHandle, deviceName: String = VXLANSettings().deviceName,
                              routeProtocol: RouteProtocol = .trellis,
                              nexthopIDs: ClosedRange<UInt32>? = nil) throws -> [String] {
        let nexthopIDs = nexthopIDs ?? OverlayConfig.nexthopIDs(for: routeProtocol)
        var removed: [String] = []
        for route in try handle.routes(protocol: routeProtocol) {
            do {
                try handle.deleteRoute(route)
                removed.append("route \(route.destination) proto \(routeProtocol)")
            } catch let error as NetlinkError where error.isNotFound {
                continue
            }
        }
        let nexthops = try handle.supportsNexthops() ? try handle.nexthops(protocol: routeProtocol, ids: nexthopIDs) : []
        for nexthop in nexthops {
            do {
                try handle.deleteNexthop(nexthop)
                removed.append("nexthop id \(nexthop.id) proto \(routeProtocol)")
            } catch let error as NetlinkError where error.isNotFound {
                continue
            }
        }
        if try handle.findLink(named: deviceName) != nil {
            try handle.deleteLink(named: deviceName)
            removed.append("link \(deviceName)")
        }
        return removed
    }
}
