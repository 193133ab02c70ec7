import NetworkModel
import Logging
import Synchronization

/// The etcd v3 datastore behind `NodeSource`: slices leased out of the cluster CIDR, node
/// records under `/trellis/v1/`, a lease kept alive in the background (DESIGN.md, "Cluster data").
///
/// Lifetime: `register` starts keeping this node's lease alive and keeps doing so until
/// `stopKeepingAlive()`, `withdraw`, or the source's deinitialisation. Stopping withdraws
/// nothing: the records stay until their lease (24 h by default) runs out, so an agent that
/// restarts within it gets its slice back.
public final class EtcdNodeSource: NodeSource {
    /// The client every operation goes through.
    public let client: EtcdClient
    /// The slices nodes are leased from: one pool per family, IPv4 first.
    public let pools: [SlicePool]
    /// How long records outlive an agent that stopped refreshing them.
    public let leaseTTL: Duration
    private let retry: RetryPolicy
    private let logger: Logger
    /// The background task refreshing this node's lease, once registered.
    private let keeper = Mutex<Task<Void, Never>?>(nil)

    /// - Parameters:
    ///   - endpoints: etcd client URLs (`--etcd-endpoints`), tried in order with failover.
    ///   - tls: the CA, client certificate and key for `https://` endpoints.
    ///   - clusterCIDRs: `--cluster-cidr`, one CIDR per family: each node leases a slice of each.
    ///   - nodeSubnetLength: `--node-subnet-size`, the prefix length of one node's IPv4 slice.
    ///   - nodeSubnetLengthV6: `--node-subnet-size-v6`, the prefix length of one node's IPv6 slice.
    ///   - leaseTTL: the records' lease; whole seconds, etcd raises anything under ~2 s.
    ///   - requestTimeout: per request and endpoint.
    ///   - retry: backoff while etcd is unreachable.
    /// Throws `EtcdError.noEndpoints`, `.invalidEndpoint`, `.invalidTLSFiles` or `.invalidPool`
    /// (also for no cluster CIDR, or two of one family).
    public init(endpoints: [String], tls: EtcdTLSFiles = EtcdTLSFiles(), clusterCIDRs: [IPPrefix], nodeSubnetLength: Int = 24,
                nodeSubnetLengthV6: Int = 64, leaseTTL: Duration = .seconds(24 * 60 * 60), requestTimeout: Duration = .seconds(5),
                retry: RetryPolicy = RetryPolicy(), logger: Logger) throws(EtcdError) {
        client = try EtcdClient(endpoints: endpoints, tls: tls, requestTimeout: requestTimeout)
        pools = try SlicePool.perFamily(clusterCIDRs, sliceLengths: (v4: nodeSubnetLength, v6: nodeSubnetLengthV6))
        self.leaseTTL = leaseTTL
        self.retry = retry
        self.logger = logger
    }

    deinit {
        keeper.withLock { $0?.cancel() }
    }

    private var leaser: SubnetLeaser {
        SubnetLeaser(client: client, pools: pools, leaseTTL: max(leaseTTL.components.seconds, 1), logger: logger)
    }

    /// `NodeSource.register`: `claim`, returning the node.
    public func register(_ registration: NodeRegistration) async throws -> ClusterNode {
        try await claim(registration).node
    }

    /// Leases this node's slice (its old one if its record is still there), writes both
    /// records, and starts keeping the lease alive (replacing an earlier registration's keeper).
    /// Retries with jittered backoff while etcd is unreachable. Throws `.poolExhausted`,
    /// `.invalidNodeName`, another non-retryable `EtcdError`, or `CancellationError`.
    public func claim(_ registration: NodeRegistration) async throws -> NodeLease {
        let leaser = leaser
        var backoff = Backoff(retry)
        while true {
            do {
                let lease = try await leaser.acquire(registration)
                let keeper = LeaseKeeper(leaser: leaser, registration: registration, retry: retry, logger: logger)
                let task = Task { await keeper.run(from: lease) }
                self.keeper.withLock { $0?.cancel(); $0 = task }
                return lease
            } catch let error as EtcdError where error.isRetryable {
                logger.warning("cannot register with etcd; retrying", metadata: ["error": "\(error)"])
                try await backoff.wait()
            }
        }
    }

    /// Stops refreshing the lease. Withdraws nothing: the records expire with the lease.
    public func stopKeepingAlive() {
        keeper.withLock { $0?.cancel(); $0 = nil }
    }

    /// `NodeSource.watchNodes`: the node keys through `ListWatchEngine`.
    public func watchNodes() -> AsyncStream<NodeSourceEvent> {
        ListWatchEngine(adapter: EtcdNodeCollection(client: client, logger: logger), retry: retry, logger: logger).events()
    }

    /// Removes node `name` from the cluster (`trellisd uninstall`): stops keeping this source's
    /// lease alive, then `EtcdClient.withdrawNode(named:)`. Returns false when there was no node
    /// record. Throws `EtcdError`.
    @discardableResult
    public func withdraw(name: String) async throws -> Bool {
        stopKeepingAlive()
        let withdrawn = try await client.withdrawNode(named: name)
        if withdrawn { logger.info("withdrew node from etcd", metadata: ["node": "\(name)"]) }
        return withdrawn
    }
}
