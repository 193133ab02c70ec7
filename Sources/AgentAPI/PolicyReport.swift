import FoundationEssentials

/// What the agent serves on `/policy` and `cnictl policy` prints: whether enforcement is on and
/// in step, the cluster's policy objects as counted, and for each local pod interface the
/// policies that govern it per direction, what they allow (in words and as the rules loaded),
/// and what its chains dropped. Codable: the JSON is the interface.
public struct PolicyReport: Codable, Hashable, Sendable {
    /// `--network-policy`.
    public var enabled: Bool
    /// The table holds the ruleset compiled from the latest complete inputs.
    public var inStep: Bool
    /// Why not in step (waiting for lists, nft refused, ...), nil when in step.
    public var waitingFor: String?
    /// NetworkPolicies, pods and namespaces known, and the elements in the selector sets.
    public var policies = 0
    public var pods = 0
    public var namespaces = 0
    public var setElements = 0
    /// When the table last changed, and how long the last change took from the event that
    /// caused it to the rules committed, in seconds.
    public var lastCommit: Date?
    public var lastCommitLatency: Double?
    /// Parts of policies left out (fail closed), one sentence each, naming the policy.
    public var problems: [String] = []
    /// The local pod interfaces, by pod then interface.
    public var endpoints: [Endpoint] = []

    /// One local pod interface.
    public struct Endpoint: Codable, Hashable, Sendable {
        /// `namespace/name`, nil for an attachment without a pod (not governed).
        public var pod: String?
        /// The host veth (`trl…`).
        public var interface: String
        public var addresses: [String]
        /// `ingress` and `egress`, in that order.
        public var directions: [Direction]

        /// Memberwise initialiser.
        public init(pod: String?, interface: String, addresses: [String], directions: [Direction]) {
            self.pod = pod
            self.interface = interface
            self.addresses = addresses
            self.directions = directions
        }
    }

    /// One direction of one endpoint.
    public struct Direction: Codable, Hashable, Sendable {
        /// `ingress` or `egress`.
        public var direction: String
        /// `open` (no policy isolates it), `isolated`, or `blocked` (not programmed: the pod
        /// object is unknown, so nothing passes).
        public var state: String
        /// The policies isolating it, `namespace/name`.
        public var policies: [String] = []
        /// What they allow, one sentence per rule.
        public var allows: [String] = []
        /// The rules of its chain as loaded.
        public var rules: [String] = []
        /// Packets its chain's final drop counted (as last read).
        public var dropped: UInt64 = 0

        /// Memberwise initialiser.
        public init(direction: String, state: String, policies: [String] = [], allows: [String] = [],
                    rules: [String] = [], dropped: UInt64 = 0) {
            self.direction = direction
            self.state = state
            self.policies = policies
            self.allows = allows
            self.rules = rules
            self.dropped = dropped
        }
    }

    /// An empty report.
    public init(enabled: Bool, inStep: Bool = false, waitingFor: String? = nil) {
        self.enabled = enabled
        self.inStep = inStep
        self.waitingFor = waitingFor
    }

    /// The `/policy` body: pretty, sorted keys, ISO 8601 dates.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    /// Reads a `/policy` body.
    public static func decode(_ data: Data) throws -> PolicyReport {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(PolicyReport.self, from: data)
    }
}
