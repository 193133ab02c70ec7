import NetworkModel
import Prometheus

/// The agent's Prometheus metrics (served on `/metrics`).
public struct AgentMetrics: Sendable {
    /// Peers in the last complete list, this node excluded.
    let peers: Gauge
    /// The peers' slices by family (`ipv4`, `ipv6`): what this node routes to.
    let peerSlices: @Sendable (IPFamily) -> Gauge
    /// Reconciles by trigger (`list`, `list_page`, `event` or `resync`).
    let reconciles: @Sendable (String) -> Counter
    /// Kernel writes that failed (retried on the next reconcile).
    let failedOperations: Counter
    /// Kernel writes made.
    let appliedOperations: Counter
    /// Time of one reconcile.
    let reconcileDuration: DurationHistogram
    /// 1 while the datastore is reachable.
    let datastoreUp: Gauge

    /// The metrics, registered in `registry`.
    public init(registry: PrometheusCollectorRegistry) {
        peers = registry.makeGauge(name: "trellis_peers", help: "Peers in the last complete list of nodes")
        peerSlices = { family in
            registry.makeGauge(name: "trellis_peer_slices", labels: [("family", family == .v4 ? "ipv4" : "ipv6")],
                               help: "Peers' pod CIDR slices by address family")
        }
        reconciles = { trigger in
            registry.makeCounter(name: "trellis_reconciles_total", labels: [("trigger", trigger)],
                                 help: "Reconciles of the datapath by trigger")
        }
        failedOperations = registry.makeCounter(name: "trellis_datapath_operation_failures_total",
                                                help: "Kernel writes that failed and will be retried")
        appliedOperations = registry.makeCounter(name: "trellis_datapath_operations_total",
                                                 help: "Kernel writes (routes, neighbours, FDB entries) made")
        reconcileDuration = registry.makeDurationHistogram(
            name: "trellis_reconcile_duration_seconds",
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(20), .milliseconds(100), .milliseconds(500), .seconds(2), .seconds(10)],
            help: "Time to compute and apply one reconcile")
        datastoreUp = registry.makeGauge(name: "trellis_datastore_up", help: "1 while the datastore is reachable")
    }
}
