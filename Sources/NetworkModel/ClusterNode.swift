/// A node as the cluster datastore describes it: what its peers need to reach its pods.
/// Both datastores (etcd records, Kubernetes Node objects) are translated into this value at
/// their seam; nothing past `NodeSource` sees their JSON.
public struct ClusterNode: Hashable, Sendable, Codable {
    /// The node's name (the Kubernetes Node name, or `--node-name` with etcd).
    public var name: String
    /// The node's pod slices, at most one per family.
    public var podCIDRs: [IPPrefix]
    /// The node's underlay address: where its VXLAN packets and direct routes go.
    public var publicIP: IPAddress
    /// The node's IPv6 underlay address, when it has one: direct and hybrid mode route its IPv6
    /// slice there; without one, its IPv6 slice is reached over VXLAN (through `publicIP`).
    public var publicIPv6: IPAddress?
    /// The MAC of the node's `trellis.vxlan` device, when it has published one.
    public var vtepMAC: String?
    /// The mode the node's agent runs in, when it has published one.
    public var backend: Backend?

    /// A node; every property as documented on the type.
    public init(name: String, podCIDRs: [IPPrefix], publicIP: IPAddress, publicIPv6: IPAddress? = nil,
                vtepMAC: String? = nil, backend: Backend? = nil) {
        self.name = name
        self.podCIDRs = podCIDRs
        self.publicIP = publicIP
        self.publicIPv6 = publicIPv6
        self.vtepMAC = vtepMAC
        self.backend = backend
    }

    /// How nodes reach each other's pods (`--mode`).
    public typealias Backend = DatapathMode
}

/// How traffic to other nodes' pods leaves a node (`--mode`, `node.json`'s `mode`).
public enum DatapathMode: String, Codable, Hashable, Sendable, CaseIterable {
    /// Every peer through the `trellis.vxlan` overlay.
    case vxlan
    /// Every peer by a route via its underlay address (all nodes share one L2 segment).
    case direct
    /// Direct for peers on the underlay's own subnet, vxlan for the rest.
    case hybrid
}
