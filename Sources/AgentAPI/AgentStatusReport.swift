import FoundationEssentials
import NetworkModel

/// What the agent reports on `/status` (and `cnictl status` prints): this node's slice and mode,
/// the facts its readiness derives from, its peers, the last sync and the last errors.
/// Codable: the JSON is the interface.
public struct AgentStatusReport: Codable, Sendable {
    public var nodeName: String
    public var mode: DatapathMode
    /// What readiness is derived from.
    public var facts = AgentFacts()
    /// `facts.phase`, written out for readers of the JSON.
    public var phase: AgentPhase
    public var podCIDRs: [IPPrefix] = []
    public var publicIP: IPAddress?
    /// The underlay's addresses with prefix lengths (IPv4, then IPv6 when it has one): with
    /// `mode`, they decide each peer's `PeerPath`.
    public var underlayAddresses: [IPPrefix] = []
    public var vtepMAC: String?
    /// The underlay interface (`--iface`, or the default route's) and its MTU as last read.
    public var underlayInterface: String?
    public var underlayMTU: Int?
    /// The MTU pods get (`node.json`): the underlay's, less the vxlan overhead where it applies.
    public var podMTU: Int?
    /// The vxlan device's VNI and UDP port (`--vxlan-vni`, `--vxlan-port`).
    public var vxlanVNI: UInt32?
    public var vxlanPort: UInt16?
    /// Whether the agent keeps the masquerade table (`--masquerade`).
    public var masquerade: Bool?
    /// How peer routes are programmed: `nexthop` (routes refer to nexthop objects) or `onlink`
    /// (each route carries its gateway: a kernel without nexthop objects); nil before the first pass.
    public var routeShape: String?
    /// The peers as last delivered by the datastore, this node excluded, ordered by name.
    public var peers: [ClusterNode] = []
    /// When the datapath last followed the datastore, and last was checked against the kernel.
    public var lastSync: Date?
    public var lastResync: Date?
    /// The most recent problems, newest last.
    public var errors: [String] = []

    /// A report for a node that knows nothing yet.
    public init(nodeName: String, mode: DatapathMode) {
        self.nodeName = nodeName
        self.mode = mode
        self.phase = facts.phase
    }

    /// The `/status` body: pretty, sorted keys, ISO 8601 dates, slashes unescaped.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    /// Reads a `/status` body.
    public static func decode(_ data: Data) throws -> AgentStatusReport {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(AgentStatusReport.self, from: data)
    }
}
