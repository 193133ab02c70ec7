/// A `networking.k8s.io/v1` NetworkPolicy as the API serialises it (Kubernetes API reference,
/// "NetworkPolicy v1 networking.k8s.io"): the whole spec. An omitted list decodes as nil, kept
/// apart from an empty one where the API gives them different meanings (`policyTypes`).
public struct KubeNetworkPolicy: Decodable, Hashable, Sendable {
    public var metadata: KubeObjectMeta
    public var spec: Spec

    public struct Spec: Decodable, Hashable, Sendable {
        /// The pods of the policy's namespace it applies to; `{}` selects them all.
        public var podSelector: KubeLabelSelector
        /// `Ingress` and/or `Egress`; the API server fills it in when omitted.
        public var policyTypes: [String]?
        public var ingress: [IngressRule]?
        public var egress: [EgressRule]?
    }

    /// Traffic allowed in: from any of `from` (omitted or empty: from anywhere) to any of `ports`.
    public struct IngressRule: Decodable, Hashable, Sendable {
        public var from: [Peer]?
        public var ports: [Port]?
    }

    /// Traffic allowed out: to any of `to` (omitted or empty: anywhere) on any of `ports`.
    public struct EgressRule: Decodable, Hashable, Sendable {
        public var to: [Peer]?
        public var ports: [Port]?
    }

    /// One peer: an ipBlock, or pod and/or namespace selectors.
    public struct Peer: Decodable, Hashable, Sendable {
        public var podSelector: KubeLabelSelector?
        public var namespaceSelector: KubeLabelSelector?
        public var ipBlock: IPBlock?
    }

    public struct IPBlock: Decodable, Hashable, Sendable {
        public var cidr: String
        public var except: [String]?
    }

    /// One port: `protocol` (`TCP` when omitted), `port` as a number or a container port name,
    /// `endPort` making a numbered port a range.
    public struct Port: Decodable, Hashable, Sendable {
        public var `protocol`: String?
        public var port: KubeIntOrString?
        public var endPort: Int?
    }
}

/// A `metav1.LabelSelector`.
public struct KubeLabelSelector: Decodable, Hashable, Sendable {
    public var matchLabels: [String: String]?
    public var matchExpressions: [Requirement]?

    /// One expression; `operator` is `In`, `NotIn`, `Exists` or `DoesNotExist`.
    public struct Requirement: Decodable, Hashable, Sendable {
        public var key: String
        public var `operator`: String
        public var values: [String]?
    }
}

/// The API's `IntOrString`: a JSON number or a JSON string.
public enum KubeIntOrString: Decodable, Hashable, Sendable {
    case int(Int)
    case string(String)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            self = .int(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }
}
