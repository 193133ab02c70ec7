import Netlink

extension DatapathState {
    /// What the kernel holds that a reconciler owns: main-table routes with `routeProtocol`, and,
    /// given the vxlan device, its permanent neighbours and its FDB entries. Three dumps (one
    /// without a device); reads nothing else.
    public static func observe(handle: NetlinkHandle, routeProtocol: RouteProtocol,
                               vxlanLinkIndex: Int32?) throws -> DatapathState {
        let routes = try handle.routes(table: Route.mainTable, protocol: routeProtocol)
        guard let vxlanLinkIndex else { return DatapathState(routes: Set(routes)) }
        let neighbors = try handle.neighbors(linkIndex: vxlanLinkIndex).filter { $0.state.contains(.permanent) }
        return DatapathState(routes: Set(routes), neighbors: Set(neighbors),
                             fdbEntries: Set(try handle.fdbEntries(linkIndex: vxlanLinkIndex)))
    }
}
