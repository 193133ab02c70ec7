import NetworkModel
import FoundationEssentials
import Logging

/// The Kubernetes API behind `NodeSource` (`--datastore kubernetes`): Node objects are the
/// datastore. Slices come from kube-controller-manager (`spec.podCIDRs`); what peers need is
/// published as annotations on this node's own Node, with merge patches (never an update); once
/// the node is wired, `markNetworkAvailable` clears its `NetworkUnavailable` condition.
/// RBAC needed: `nodes` get/list/watch/patch and `nodes/status` patch (deploy/).
public final class KubernetesNodeSource: NodeSource {
    /// The client every request goes through.
    public let client: KubeClient
    private let retry: RetryPolicy
    private let podCIDRPollInterval: Duration
    private let pageSize: Int
    private let watchTimeout: ClosedRange<Int>
    private let logger: Logger

    /// - Parameters:
    ///   - client: the API client (`KubeClient(config: .inCluster())` in a pod).
    ///   - retry: backoff while the API server is unreachable.
    ///   - podCIDRPollInterval: how often `register` looks again while this node has no slice.
    ///   - pageSize: nodes per page of a list (`limit`).
    ///   - watchTimeout: the range a watch's `timeoutSeconds` is drawn from (client-go: 5-10 min).
    public init(client: KubeClient, retry: RetryPolicy = RetryPolicy(), podCIDRPollInterval: Duration = .seconds(5),
                pageSize: Int = 500, watchTimeout: ClosedRange<Int> = 300...600, logger: Logger) {
        self.client = client
        self.retry = retry
        self.podCIDRPollInterval = podCIDRPollInterval
        self.pageSize = pageSize
        self.watchTimeout = watchTimeout
        self.logger = logger
    }

    /// `NodeSource.register`: reads this node's Node, sets the `trellis.dev/public-ip`,
    /// `trellis.dev/vtep-mac` and `trellis.dev/backend` annotations with a merge patch when they
    /// differ from the registration (not otherwise), and waits, saying so, until
    /// kube-controller-manager has given the node `spec.podCIDRs` (or `spec.podCIDR`). Retries
    /// with jittered backoff while the API server is unreachable or the Node does not exist yet.
    /// Throws `KubeError.unauthorized` or `.forbidden` (naming the missing RBAC verb), or
    /// `CancellationError`.
    public func register(_ registration: NodeRegistration) async throws -> ClusterNode {
        var backoff = Backoff(retry)
        var saidWaiting = false
        while true {
            do {
                var node = try await client.node(named: registration.name)
                if let patch = KubeNodePatch.annotations(for: registration, current: node.annotations) {
                    node = try await client.mergePatchNode(named: registration.name, patch)
                    logger.info("published this node's annotations", metadata: ["node": "\(registration.name)"])
                }
                backoff.reset()
                if let member = node.clusterNode { return member }
                if !saidWaiting {
                    logger.notice("waiting for kube-controller-manager to assign this node's spec.podCIDRs (is --allocate-node-cidrs on?)",
                                  metadata: ["node": "\(registration.name)"])
                    saidWaiting = true
                }
                try await retry.sleep(podCIDRPollInterval)
            } catch let error as KubeError where error.isRetryable || error == .notFound(resource: "nodes", name: registration.name) {
                logger.warning("cannot register with the API server; retrying", metadata: ["error": "\(error)"])
                try await backoff.wait()
            }
        }
    }

    /// Sets this node's `NetworkUnavailable` condition to False with reason `TrellisIsUp`
    /// (a strategic merge patch of `nodes/status`), unless it already says so. Call it once the
    /// node's datapath is wired (after the first successful reconcile). Returns whether it
    /// patched. Throws `KubeError` (`.forbidden` without `patch` on `nodes/status`); one try,
    /// the caller retries.
    @discardableResult
    public func markNetworkAvailable(nodeName: String, now: Date = Date()) async throws -> Bool {
        let node = try await client.node(named: nodeName)
        if let current = node.condition("NetworkUnavailable"), current.status == "False", current.reason == "TrellisIsUp" {
            return false
        }
        _ = try await client.strategicPatchNodeStatus(named: nodeName, KubeNodePatch.condition(KubeNodePatch.networkAvailable(at: now)))
        logger.info("marked this node's network available", metadata: ["node": "\(nodeName)"])
        return true
    }

    /// `NodeSource.watchNodes`: Node objects through `ListWatchEngine`.
    public func watchNodes() -> AsyncStream<NodeSourceEvent> {
        let logger = logger
        return client.events(of: .nodes, pageSize: pageSize, watchTimeout: watchTimeout, retry: retry, logger: logger) { node in
            let member = node.clusterNode
            if member == nil {
                logger.debug("leaving out a node without spec.podCIDRs or an address (yet)", metadata: ["node": "\(node.name)"])
            }
            return member
        }
    }
}
