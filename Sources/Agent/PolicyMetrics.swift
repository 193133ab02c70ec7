import Prometheus
import Synchronization

/// NetworkPolicy's Prometheus metrics (served on `/metrics` beside the agent's).
public final class PolicyMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    /// NetworkPolicies, pods and namespaces known; elements in the selector sets.
    let policies: Gauge
    let pods: Gauge
    let namespaces: Gauge
    let setElements: Gauge
    /// 1 while the table holds the rules of the latest complete inputs.
    let inStep: Gauge
    /// From an API or IPAM event to the rules that follow from it committed.
    let commitLatency: DurationHistogram
    /// Failed nft transactions.
    let failures: Counter
    /// The drop gauges by pod and direction, to unregister those of pods that left.
    private let drops = Mutex<[DropKey: Gauge]>([:])

    private struct DropKey: Hashable {
        var pod: String
        var direction: String
    }

    /// The metrics, registered in `registry`.
    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        policies = registry.makeGauge(name: "trellis_policy_networkpolicies", help: "NetworkPolicies known")
        pods = registry.makeGauge(name: "trellis_policy_pods", help: "Pods known to policy, cluster-wide")
        namespaces = registry.makeGauge(name: "trellis_policy_namespaces", help: "Namespaces known to policy")
        setElements = registry.makeGauge(name: "trellis_policy_set_elements", help: "Elements in the policy table's selector sets")
        inStep = registry.makeGauge(name: "trellis_policy_in_step", help: "1 while the policy table holds the latest compiled rules")
        commitLatency = registry.makeDurationHistogram(
            name: "trellis_policy_commit_latency_seconds",
            buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                      .milliseconds(250), .seconds(1), .seconds(5)],
            help: "Time from an API or IPAM event to the policy rules it changes committed")
        failures = registry.makeCounter(name: "trellis_policy_transaction_failures_total", help: "nft transactions of the policy table that failed")
    }

    /// Sets the drop counts per local pod (`namespace/name`) and direction, as the chains'
    /// final drops counted them; pods no longer listed lose their series.
    func setDrops(_ counts: [(pod: String, direction: String, packets: UInt64)]) {
        drops.withLock { gauges in
            var seen: Set<DropKey> = []
            for count in counts {
                let key = DropKey(pod: count.pod, direction: count.direction)
                seen.insert(key)
                let gauge = gauges[key] ?? registry.makeGauge(
                    name: "trellis_policy_dropped_packets", labels: [("pod", count.pod), ("direction", count.direction)],
                    help: "Packets dropped by policy per local pod and direction (the chain's counter)")
                gauges[key] = gauge
                gauge.set(Int64(clamping: count.packets))
            }
            for (key, gauge) in gauges where !seen.contains(key) {
                registry.unregisterGauge(gauge)
                gauges[key] = nil
            }
        }
    }
}
