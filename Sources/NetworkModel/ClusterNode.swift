/// A node as the cluster datastore describes it: what its peers need to reach its pods.
/// Both datastores (etcd records, Kubernetes Node objects) are translated into this value at
/// their seam; nothing past `NodeSource` sees their JSON.
///
/// A value with its fields in one shared, immutable box: a copy is a pointer. Every node is
/// held by the datastore's view, the datapath's peer table and the status report, 20,000 of
/// them on a large cluster; copies sharing one box cost 8 bytes each instead of the fields'
/// 112. Setting a field gives this value a new box, so copies never see each other's changes.
public struct ClusterNode: Hashable, Sendable, Codable {
    /// The fields, encoded as they are (the JSON has no trace of the box).
    private struct Fields: Hashable, Sendable, Codable {
        var name: String
        var podCIDRs: [IPPrefix]
        var publicIP: IPAddress
        var publicIPv6: IPAddress?
        var vtepMAC: String?
        var backend: Backend?
    }

    /// Immutable, so copies can share it across threads.
    private final class Box: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private var box: Box

    private var fields: Fields {
        get { box.fields }
        set { box = Box(newValue) }
    }

    /// The node's name (the Kubernetes Node name, or `--node-name` with etcd).
    public var name: String {
        get { fields.name }
        set { fields.name = newValue }
    }
    /// The node's pod slices, at most one per family.
    public var podCIDRs: [IPPrefix] {
        get { fields.podCIDRs }
        set { fields.podCIDRs = newValue }
    }
    /// The node's underlay address: where its VXLAN packets and direct routes go.
    public var publicIP: IPAddress {
        get { fields.publicIP }
        set { fields.publicIP = newValue }
    }
    /// The node's IPv6 underlay address, when it has one: direct and hybrid mode route its IPv6
    /// slice there; without one, its IPv6 slice is reached over VXLAN (through `publicIP`).
    public var publicIPv6: IPAddress? {
        get { fields.publicIPv6 }
        set { fields.publicIPv6 = newValue }
    }
    /// The MAC of the node's `trellis.vxlan` device, when it has published one.
    public var vtepMAC: String? {
        get { fields.vtepMAC }
        set { fields.vtepMAC = newValue }
    }
    /// The mode the node's agent runs in, when it has published one.
    public var backend: Backend? {
        get { fields.backend }
        set { fields.backend = newValue }
    }

    /// A node; every property as documented on the type.
    public init(name: String, podCIDRs: [IPPrefix], publicIP: IPAddress, publicIPv6: IPAddress? = nil,
                vtepMAC: String? = nil, backend: Backend? = nil) {
        box = Box(Fields(name: name, podCIDRs: podCIDRs, publicIP: publicIP, publicIPv6: publicIPv6,
                         vtepMAC: vtepMAC, backend: backend))
    }

    public init(from decoder: any Decoder) throws {
        box = Box(try Fields(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try fields.encode(to: encoder)
    }

    public static func == (lhs: ClusterNode, rhs: ClusterNode) -> Bool {
        lhs.box === rhs.box || lhs.fields == rhs.fields
    }

    public func hash(into hasher: inout Hasher) {
        fields.hash(into: &hasher)
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
