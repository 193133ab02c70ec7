import NetworkModel
import Netlink

/// The overlay's share of a node's datapath: the routes, nexthop objects, neighbour entries and
/// FDB entries Trellis programs, as sets of Netlink values. The same type describes what is desired
/// (`DesiredState.compute`) and what was observed or last applied, so a diff is set algebra.
public struct DatapathState: Hashable, Sendable {
    /// Routes to peers' pod CIDRs, in the form the kernel reports them (`kernelNormalized`).
    public var routes: Set<Route>
    /// Permanent neighbour entries for peers' VTEP addresses on the vxlan device.
    public var neighbors: Set<Neighbor>
    /// FDB entries sending peers' VTEP MACs to their underlay addresses.
    public var fdbEntries: Set<FDBEntry>
    /// Nexthop objects the routes refer to (the nexthop shape, `RouteShape`); empty in the
    /// desired state, which is computed in the onlink shape.
    public var nexthops: Set<Nexthop>

    /// A state; empty unless told otherwise.
    public init(routes: Set<Route> = [], neighbors: Set<Neighbor> = [], fdbEntries: Set<FDBEntry> = [],
                nexthops: Set<Nexthop> = []) {
        self.routes = routes
        self.neighbors = neighbors
        self.fdbEntries = fdbEntries
        self.nexthops = nexthops
    }

    /// Nothing programmed.
    public static let empty = DatapathState()

    /// The number of entries of all kinds.
    public var count: Int { routes.count + neighbors.count + fdbEntries.count + nexthops.count }
}

/// The kernel's identity of a unicast FDB entry on a vxlan device: one destination per MAC
/// (the kernel appends further destinations only for the all-zeros and multicast MACs, and
/// `replace` changes the destination in place).
public struct FDBKey: Hashable, Sendable {
    /// The vxlan device.
    public var linkIndex: Int32
    /// The inner destination MAC.
    public var mac: MACAddress
}

extension FDBEntry {
    /// This entry's identity, for diffing desired against observed entries.
    public var key: FDBKey { FDBKey(linkIndex: linkIndex, mac: mac) }
}
