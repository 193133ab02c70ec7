import Netlink

extension DatapathState {
    /// What the kernel holds that a reconciler owns: main-table routes with `routeProtocol`,
    /// given `nexthopIDs` the nexthops with `routeProtocol` and an id in that range, and, given
    /// the vxlan device, its permanent neighbours and its FDB entries. One dump of each; reads
    /// nothing else.
    public static func observe(handle: NetlinkHandle, routeProtocol: RouteProtocol,
                               nexthopIDs: ClosedRange<UInt32>? = nil, vxlanLinkIndex: Int32?) throws -> DatapathState {
        var state = DatapathState(routes: Set(try handle.routes(table: Route.mainTable, protocol: routeProtocol)))
        if let nexthopIDs { state.nexthops = Set(try handle.nexthops(protocol: routeProtocol, ids: nexthopIDs)) }
        guard let vxlanLinkIndex else { return state }
        state.neighbors = Set(try handle.neighbors(linkIndex: vxlanLinkIndex).filter { $0.state.contains(.permanent) })
        state.fdbEntries = Set(try handle.fdbEntries(linkIndex: vxlanLinkIndex))
        return state
    }
}
