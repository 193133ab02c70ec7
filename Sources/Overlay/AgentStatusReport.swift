import Cluster
import Foundation

/// What the agent reports on `/status` (and `cnictl status` prints): this node's slice and mode,
/// its peers, the last sync and the last errors. Codable: the JSON is the interface.
public struct AgentStatusReport: Codable, Sendable {
    /// Where the agent is in its life.
    public enum Phase: String, Codable, Sendable {
        /// Claiming this node's slice in the datastore.
        case registering
        /// Registered; waiting for the first complete list of nodes.
        case syncing
        /// The datapath matches the last complete list.
        case ready
        /// The datastore is unreachable: the last known good datapath stays in place.
        case datastoreUnavailable
    }

    public var nodeName: String
    public var mode: String
    public var phase: Phase = .registering
    public var podCIDRs: [String] = []
    public var publicIP: String?
    public var vtepMAC: String?
    /// The underlay interface (`--iface`, or the default route's).
    public var underlayInterface: String?
    /// The vxlan device's VNI and UDP port (`--vxlan-vni`, `--vxlan-port`).
    public var vxlanVNI: UInt32?
    public var vxlanPort: UInt16?
    /// Whether the agent installs the masquerade rules (`--masquerade`).
    public var masquerade: Bool?
    /// The last complete list of nodes, this one excluded.
    public var peers: [ClusterNode] = []
    public var lastSync: Date?
    public var lastResync: Date?
    /// The most recent problems, newest last (at most `AgentStatus.errorLimit`).
    public var errors: [String] = []

    public init(nodeName: String, mode: String) {
        self.nodeName = nodeName
        self.mode = mode
    }

    /// The `/status` body: pretty, sorted keys, ISO 8601 dates.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
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
