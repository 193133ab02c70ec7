import NetworkModel

/// This node's claim in etcd, as `EtcdNodeSource.claim` made it: the record both keys hold and
/// the lease they are attached to.
public struct NodeLease: Hashable, Sendable {
    /// This node as its record describes it; `podCIDRs` holds its one slice.
    public var node: ClusterNode
    /// The etcd lease both keys are attached to.
    public var leaseID: Int64
    /// The lease's TTL in seconds as last granted or refreshed.
    public var ttl: Int64

    /// A claim of `node` under lease `leaseID` with `ttl` seconds.
    public init(node: ClusterNode, leaseID: Int64, ttl: Int64) {
        self.node = node
        self.leaseID = leaseID
        self.ttl = ttl
    }
}
