import Netlink

/// Removes what the agent programmed, for `trellisd uninstall` only (stopping the agent removes
/// nothing): the routes carrying Trellis's protocol and the vxlan device, which takes its
/// neighbours, FDB entries and routes with it. Entries of other owners stay.
public enum DatapathRemoval {
    /// Deletes every main-table route with `routeProtocol` and the device `deviceName`.
    /// Returns one line per thing removed (as `ip` would name it). Entries already gone are not
    /// errors. Throws the `NetlinkError` of a refused delete.
    public static func remove(handle: NetlinkHandle, deviceName: String = VXLANSettings().deviceName,
                              routeProtocol: RouteProtocol = .trellis) throws -> [String] {
        var removed: [String] = []
        for route in try handle.routes(protocol: routeProtocol) {
            do {
                try handle.deleteRoute(route)
                removed.append("route \(route.destination) proto \(routeProtocol)")
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
