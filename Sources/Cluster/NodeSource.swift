/// Where the agent learns the cluster's nodes: etcd or the Kubernetes API. The one seam between
/// the datastores and the reconciler, as Flannel separates subnet managers from backends.
public protocol NodeSource: Sendable {
    /// Makes this node a member and publishes what peers need (its public IP, VTEP MAC and
    /// backend). Returns this node as the datastore now holds it, with its pod slice: etcd leases
    /// one (the same one again after a restart); Kubernetes waits until the node has
    /// `spec.podCIDRs`. Retries while the datastore is unreachable; throws only for errors that
    /// retrying cannot fix (a full pool, a refused credential) and on cancellation.
    func register(_ registration: NodeRegistration) async throws -> ClusterNode

    /// Every node of the cluster, this one included, as changes: the first event is `.listed`
    /// with every node (after a complete, successful list); later ones carry what changed, by
    /// node name (`ListWatchEngine` has the rules). While the datastore is unreachable the
    /// stream yields `.unavailable` and keeps retrying; it never yields a partial set. Ends
    /// when the stream is dropped.
    func watchNodes() -> AsyncStream<NodeSourceEvent>

    /// Tells the datastore that this node's datapath is wired, once the first complete node set
    /// has been applied (Kubernetes: the Node's `NetworkUnavailable` condition becomes False).
    /// One try; the caller retries after a failure. Default: nothing to tell.
    func announceNetworkAvailable(nodeName: String) async throws
}

extension NodeSource {
    public func announceNetworkAvailable(nodeName: String) async throws {}
}

/// What this node publishes about itself.
public struct NodeRegistration: Hashable, Sendable {
    public var name: String
    public var publicIP: IPAddress
    /// The underlay's IPv6 address, published when the node has one (dual-stack direct routes).
    public var publicIPv6: IPAddress?
    public var vtepMAC: String
    public var backend: ClusterNode.Backend

    public init(name: String, publicIP: IPAddress, publicIPv6: IPAddress? = nil, vtepMAC: String, backend: ClusterNode.Backend) {
        self.name = name
        self.publicIP = publicIP
        self.publicIPv6 = publicIPv6
        self.vtepMAC = vtepMAC
        self.backend = backend
    }
}

/// One step of `NodeSource.watchNodes()`: nodes by name.
public typealias NodeSourceEvent = CollectionEvent<ClusterNode>

import NetworkModel
