import Cluster
import KubePolicy
import Policy

/// What the policy compiler is fed, as the watches and the IPAM store deliver it: objects kept
/// by key, so an event costs its changes here. Complete once each collection has been listed
/// and the store read; nothing is compiled before (a partial list would open or close the
/// wrong pods). Pure.
struct PolicyInputs: Sendable {
    /// The collections that must be listed before the first compile.
    enum Collection: String, Sendable, CaseIterable {
        case pods, namespaces, networkpolicies
    }

    private(set) var pods: [String: PolicyPod] = [:]
    private(set) var namespaces: [String: PolicyNamespace] = [:]
    private(set) var policies: [String: KubePolicyTranslation.Translated] = [:]
    /// This node's pod interfaces; nil until the store was read once.
    var endpoints: [PolicyEndpoint]?
    private(set) var listed: Set<Collection> = []

    /// Every collection listed and the store read.
    var isComplete: Bool { listed.count == Collection.allCases.count && endpoints != nil }

    /// What is still missing, in words (nil when complete).
    var missing: String? {
        var parts = Collection.allCases.filter { !listed.contains($0) }.map { "the list of \($0.rawValue)" }
        if endpoints == nil { parts.append("the IPAM store") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// Applies one collection event; returns whether anything changed.
    mutating func apply(_ event: CollectionEvent<PolicyPod>) -> Bool {
        Self.apply(event, to: &pods, collection: .pods, listed: &listed)
    }

    mutating func apply(_ event: CollectionEvent<PolicyNamespace>) -> Bool {
        Self.apply(event, to: &namespaces, collection: .namespaces, listed: &listed)
    }

    mutating func apply(_ event: CollectionEvent<KubePolicyTranslation.Translated>) -> Bool {
        Self.apply(event, to: &policies, collection: .networkpolicies, listed: &listed)
    }

    private static func apply<Value>(_ event: CollectionEvent<Value>, to values: inout [String: Value],
                                     collection: Collection, listed: inout Set<Collection>) -> Bool {
        switch event {
        case .listed(let changes):
            for change in changes { values[change.key] = change.value }
            return listed.insert(collection).inserted || !changes.isEmpty
        case .listing(let changes), .changed(let changes):
            for change in changes { values[change.key] = change.value }
            return !changes.isEmpty
        case .unavailable:
            return false
        }
    }

    /// The compiler's input.
    var compilerInput: PolicyCompiler.Input {
        PolicyCompiler.Input(policies: policies.values.compactMap(\.policy), pods: Array(pods.values),
                             namespaces: Array(namespaces.values), endpoints: endpoints ?? [])
    }

    /// The policies by id (`namespace/name`).
    var policiesByID: [String: NetworkPolicy] {
        Dictionary(policies.values.compactMap(\.policy).map { ($0.id, $0) }) { first, _ in first }
    }

    /// Every problem of every policy, sorted.
    var problems: [String] {
        policies.sorted { $0.key < $1.key }.flatMap { key, translated in translated.problems.map { "\(key): \($0)" } }
    }
}
