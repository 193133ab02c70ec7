/// The parts of a core/v1 Pod that network policy reads (Kubernetes API reference, "Pod v1
/// core"): identity and labels, where it runs, whether it uses the host's network, its
/// containers' ports (for named ports), and its addresses and phase.
public struct KubePod: Decodable, Hashable, Sendable {
    /// Name, namespace, labels, resourceVersion.
    public var metadata: KubeObjectMeta
    /// What the pod asked for; nil only in a watch event that omits it.
    public var spec: Spec?
    /// What kubelet reports; nil until it reports.
    public var status: Status?

    /// `spec`: where the pod runs and its containers.
    public struct Spec: Decodable, Hashable, Sendable {
        /// The node the scheduler bound the pod to; nil while pending.
        public var nodeName: String?
        /// True for a pod in the node's network namespace.
        public var hostNetwork: Bool?
        /// The app containers (their ports are what named ports resolve against).
        public var containers: [Container]?
    }

    /// One `spec.containers[]` entry.
    public struct Container: Decodable, Hashable, Sendable {
        /// The container's name.
        public var name: String
        /// The ports it declares.
        public var ports: [Port]?
    }

    /// One `containers[].ports[]` entry; `protocol` is `TCP`, `UDP` or `SCTP` (the API server
    /// fills in `TCP`).
    public struct Port: Decodable, Hashable, Sendable {
        /// The name policies can use for it (optional in the API).
        public var name: String?
        /// The port number inside the pod.
        public var containerPort: Int
        /// `TCP`, `UDP` or `SCTP`.
        public var `protocol`: String?
    }

    /// `status`: the pod's phase and addresses.
    public struct Status: Decodable, Hashable, Sendable {
        /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
        public var phase: String?
        /// The first address (older servers set only this).
        public var podIP: String?
        /// One address per family, published by kubelet after the sandbox's ADD.
        public var podIPs: [PodIP]?
    }

    /// One `status.podIPs[]` entry.
    public struct PodIP: Decodable, Hashable, Sendable {
        /// The address, as text.
        public var ip: String
    }
}
