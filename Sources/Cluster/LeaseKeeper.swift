import Logging

/// Keeps this node's lease alive for as long as it runs: a keepalive every third of the TTL (at
/// most every five minutes); when the lease turns out to be gone (etcd was unreachable for
/// longer than the TTL, or someone revoked it) it registers again, asking for the same slice.
/// When that slice was taken meanwhile, the node gets another one: its new record reaches the
/// agent through the node watch like any peer's, and the agent moves its datapath to it.
/// Failures are retried after the retry policy's backoff; nothing stops it but cancellation.
struct LeaseKeeper: Sendable {
    let leaser: SubnetLeaser
    let registration: NodeRegistration
    let retry: RetryPolicy
    let logger: Logger

    /// Time between keepalives for a lease of `ttl` seconds.
    static func interval(ttl: Int64) -> Duration {
        min(.seconds(max(ttl, 1)) / 3, .seconds(300))
    }

    /// Refreshes `lease` until the task is cancelled.
    func run(from lease: NodeLease) async {
        var current = lease
        var backoff = Backoff(retry)
        var generator = SystemRandomNumberGenerator()
        var delay = Self.interval(ttl: current.ttl)
        while true {
            do {
                try await Task.sleep(for: delay)
            } catch {
                return
            }
            do {
                current = try await renew(current)
                backoff.reset()
                delay = Self.interval(ttl: current.ttl)
            } catch is CancellationError {
                return
            } catch {
                delay = backoff.nextDelay(using: &generator)
                logger.warning("cannot refresh the etcd lease; retrying",
                               metadata: ["lease": "\(current.leaseID)", "error": "\(error)", "retryIn": "\(delay)"])
            }
        }
    }

    /// One keepalive; a new registration when the lease is gone.
    private func renew(_ lease: NodeLease) async throws -> NodeLease {
        do {
            let refreshed = try await leaser.client.keepAlive(lease: lease.leaseID)
            return NodeLease(node: lease.node, leaseID: lease.leaseID, ttl: refreshed.ttl)
        } catch EtcdError.leaseNotFound {
            logger.error("the etcd lease expired and this node's records with it; registering again",
                         metadata: ["lease": "\(lease.leaseID)"])
            let renewed = try await leaser.acquire(registration, preferring: lease.node.podCIDRs)
            if renewed.node.podCIDRs != lease.node.podCIDRs {
                logger.critical("this node's slices changed in etcd; the agent follows its record to the new ones",
                                metadata: ["old": "\(lease.node.podCIDRs)", "new": "\(renewed.node.podCIDRs)"])
            }
            return renewed
        }
    }
}
