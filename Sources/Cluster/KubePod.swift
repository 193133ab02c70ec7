/// The parts of a core/v1 Pod that network policy reads (Kubernetes API reference, "Pod v1
/// core"): identity and labels, where it runs, whether it uses the host's network, its
/// containers' ports (for named ports), and its addresses and phase.
public struct KubePod: Decodable, Hashable, Sendable {
    public var metadata: KubeObjectMeta
    public var spec: Spec?
    public var status: Status?

    public struct Spec: Decodable, Hashable, Sendable {
        /// The node the scheduler bound the pod to; nil while pending.
        public var nodeName: String?
        /// True for a pod in the node's network namespace.
        public var hostNetwork: Bool?
        public var containers: [Container]?
    }

    public struct Container: Decodable, Hashable, Sendable {
        public var name: String
        public var ports: [Port]?
    }

    /// One `containers[].ports[]` entry; `protocol` is `TCP`, `UDP` or `SCTP` (the API server
    /// fills in `TCP`).
    public struct Port: Decodable, Hashable, Sendable {
        public var name: String?
        public var containerPort: Int
        public var `protocol`: String?
    }

    public struct Status: Decodable, Hashable, Sendable {
        /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
        public var phase: String?
        /// The first address (older servers set only this).
        public var podIP: String?
        /// One address per family, published by kubelet after the sandbox's ADD.
        public var podIPs: [PodIP]?
    }

    public struct PodIP: Decodable, Hashable, Sendable {
        public var ip: String
    }
}
