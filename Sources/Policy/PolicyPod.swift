import NetworkModel

/// A pod as policy sees it: identity, labels, addresses and named container ports.
public struct PolicyPod: Hashable, Sendable {
    /// The pod's namespace.
    public var namespace: String
    /// The pod's name.
    public var name: String
    /// The pod's labels.
    public var labels: [String: String]
    /// The pod's addresses (`status.podIPs`); empty until published, and for a pod that has
    /// finished (its addresses may already belong to another pod). A pod without addresses is
    /// in no selector set.
    public var addresses: [IPAddress]
    /// A hostNetwork pod shares the node's addresses: it is neither subject to policy nor a
    /// member of any selector.
    public var hostNetwork: Bool
    /// The containers' ports, for named ports.
    public var ports: [ContainerPort]

    /// Memberwise initialiser.
    public init(namespace: String, name: String, labels: [String: String] = [:], addresses: [IPAddress] = [],
                hostNetwork: Bool = false, ports: [ContainerPort] = []) {
        self.namespace = namespace
        self.name = name
        self.labels = labels
        self.addresses = addresses
        self.hostNetwork = hostNetwork
        self.ports = ports
    }

    /// `namespace/name`.
    public var id: PodID { PodID(namespace: namespace, name: name) }

    /// The number of the container port `name` with `protocol`, if the pod declares one.
    public func port(named name: String, protocol: PolicyProtocol) -> Int? {
        ports.first { $0.name == name && $0.protocol == `protocol` }?.number
    }
}

/// A pod's identity: namespace and name.
public struct PodID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The pod's namespace.
    public var namespace: String
    /// The pod's name.
    public var name: String

    /// Memberwise initialiser.
    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// `namespace/name`.
    public var description: String { "\(namespace)/\(name)" }

    /// By namespace, then name.
    public static func < (lhs: PodID, rhs: PodID) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

/// One `containers[].ports[]` entry that has a name (unnamed ports play no part in policy).
public struct ContainerPort: Hashable, Sendable {
    /// The port's name, as policies refer to it.
    public var name: String
    /// The port's number (`containerPort`).
    public var number: Int
    /// The port's protocol.
    public var `protocol`: PolicyProtocol

    /// Memberwise initialiser.
    public init(name: String, number: Int, protocol: PolicyProtocol = .tcp) {
        self.name = name
        self.number = number
        self.protocol = `protocol`
    }
}

/// A namespace as policy sees it: its name and labels.
public struct PolicyNamespace: Hashable, Sendable {
    /// The label every namespace carries with its own name (set by the API server since 1.21).
    public static let nameLabel = "kubernetes.io/metadata.name"

    /// The namespace's name.
    public var name: String
    /// The namespace's labels, always including `nameLabel`.
    public var labels: [String: String]

    /// A namespace with `labels`; `nameLabel` is set to `name` whatever `labels` say, as the API
    /// server does.
    public init(name: String, labels: [String: String] = [:]) {
        self.name = name
        self.labels = labels.merging([Self.nameLabel: name]) { $1 }
    }
}

/// A pod interface on this node that policy governs: the host end of the pod's veth (the
/// dispatch key), the pod it belongs to and the addresses IPAM gave it.
public struct PolicyEndpoint: Hashable, Sendable {
    /// The host-side veth (`trl…`).
    public var interface: String
    /// The pod behind it (`K8S_POD_NAMESPACE` / `K8S_POD_NAME` of the ADD); nil for an
    /// attachment made without them, which is no Kubernetes pod: no policy can select it, so
    /// its traffic is not governed (like a hostNetwork pod's).
    public var pod: PodID?
    /// The addresses of this attachment (known from the IPAM store before the API has them).
    public var addresses: [IPAddress]

    /// Memberwise initialiser.
    public init(interface: String, pod: PodID?, addresses: [IPAddress]) {
        self.interface = interface
        self.pod = pod
        self.addresses = addresses
    }
}
