import Cluster
import Logging
import Policy

/// The three collections policy is computed from, as event streams of `Policy` values: every
/// Pod, Namespace and NetworkPolicy of the cluster through `Cluster`'s list/watch engine, each
/// object translated as it arrives (a relist or a watch event costs its changes). A seam:
/// tests and benchmarks can hand the agent streams of their own.
public struct PolicyWatches: Sendable {
    /// Pods by `namespace/name`.
    public var pods: @Sendable () -> AsyncStream<CollectionEvent<PolicyPod>>
    /// Namespaces by name.
    public var namespaces: @Sendable () -> AsyncStream<CollectionEvent<PolicyNamespace>>
    /// NetworkPolicies by `namespace/name`, with what could not be understood in each.
    public var policies: @Sendable () -> AsyncStream<CollectionEvent<KubePolicyTranslation.Translated>>

    /// Streams of one's own.
    public init(pods: @escaping @Sendable () -> AsyncStream<CollectionEvent<PolicyPod>>,
                namespaces: @escaping @Sendable () -> AsyncStream<CollectionEvent<PolicyNamespace>>,
                policies: @escaping @Sendable () -> AsyncStream<CollectionEvent<KubePolicyTranslation.Translated>>) {
        self.pods = pods
        self.namespaces = namespaces
        self.policies = policies
    }

    /// The API server's objects through `client` (RBAC: get/list/watch on pods, namespaces and
    /// networkpolicies.networking.k8s.io).
    public static func kubernetes(_ client: KubeClient, logger: Logger) -> PolicyWatches {
        PolicyWatches(
            pods: { client.events(of: .pods, logger: logger, translate: KubePolicyTranslation.pod) },
            namespaces: { client.events(of: .namespaces, logger: logger, translate: KubePolicyTranslation.namespace) },
            policies: { client.events(of: .networkPolicies, logger: logger) { KubePolicyTranslation.policy($0) } })
    }
}
