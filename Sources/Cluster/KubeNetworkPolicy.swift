/// A `networking.k8s.io/v1` NetworkPolicy as the API serialises it (Kubernetes API reference,
/// "NetworkPolicy v1 networking.k8s.io"): the whole spec. An omitted list decodes as nil, kept
/// apart from an empty one where the API gives them different meanings (`policyTypes`).
public struct KubeNetworkPolicy: Decodable, Hashable, Sendable {
    /// Name and namespace.
    public var metadata: KubeObjectMeta
    /// The policy.
    public var spec: Spec

    /// `spec`.
    public struct Spec: Decodable, Hashable, Sendable {
        /// The pods of the policy's namespace it applies to; `{}` selects them all.
        public var podSelector: KubeLabelSelector
        /// `Ingress` and/or `Egress`; the API server fills it in when omitted.
        public var policyTypes: [String]?
        /// Allowed incoming traffic; omitted and `[]` both allow none.
        public var ingress: [IngressRule]?
        /// Allowed outgoing traffic; omitted and `[]` both allow none.
        public var egress: [EgressRule]?
    }

    /// Traffic allowed in: from any of `from` (omitted or empty: from anywhere) to any of `ports`.
    public struct IngressRule: Decodable, Hashable, Sendable {
        /// The sources.
        public var from: [Peer]?
        /// The ports on the selected pod.
        public var ports: [Port]?
    }

    /// Traffic allowed out: to any of `to` (omitted or empty: anywhere) on any of `ports`.
    public struct EgressRule: Decodable, Hashable, Sendable {
        /// The destinations.
        public var to: [Peer]?
        /// The ports on the destination.
        public var ports: [Port]?
    }

    /// One peer: an ipBlock, or pod and/or namespace selectors.
    public struct Peer: Decodable, Hashable, Sendable {
        /// Pods (of the policy's namespace unless `namespaceSelector` is set).
        public var podSelector: KubeLabelSelector?
        /// Namespaces whose pods (matching `podSelector`, if set) are peers.
        public var namespaceSelector: KubeLabelSelector?
        /// Addresses; excludes the two selectors.
        public var ipBlock: IPBlock?
    }

    /// `ipBlock`: a CIDR minus exceptions inside it.
    public struct IPBlock: Decodable, Hashable, Sendable {
        /// The block.
        public var cidr: String
        /// Parts of the block that are not peers.
        public var except: [String]?
    }

    /// One port: `protocol` (`TCP` when omitted), `port` as a number or a container port name,
    /// `endPort` making a numbered port a range.
    public struct Port: Decodable, Hashable, Sendable {
        /// `TCP`, `UDP` or `SCTP`.
        public var `protocol`: String?
        /// A number or a container port name; omitted: every port.
        public var port: KubeIntOrString?
        /// The last port of a range starting at a numbered `port`.
        public var endPort: Int?
    }
}

/// A `metav1.LabelSelector`.
public struct KubeLabelSelector: Decodable, Hashable, Sendable {
    /// Labels that must have these values.
    public var matchLabels: [String: String]?
    /// Requirements that must all hold.
    public var matchExpressions: [Requirement]?

    /// One expression; `operator` is `In`, `NotIn`, `Exists` or `DoesNotExist`.
    public struct Requirement: Decodable, Hashable, Sendable {
        /// The label key.
        public var key: String
        /// The operator.
        public var `operator`: String
        /// The values of `In` and `NotIn`.
        public var values: [String]?
    }
}

/// The API's `IntOrString`: a JSON number or a JSON string.
public enum KubeIntOrString: Decodable, Hashable, Sendable {
    /// A number.
    case int(Int)
    /// A name.
    case string(String)

    /// Decodes a number, else a string; anything else throws.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            self = .int(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }
}
