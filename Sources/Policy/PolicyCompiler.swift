import NetworkModel

/// Compiles NetworkPolicies into the nftables state of one node (`PolicyRuleset`). Pure: the
/// same input always gives the same ruleset, and nothing here touches the kernel.
///
/// Why this is tricky: isolation is per pod and per direction (a pod is isolated for ingress
/// once any policy selecting it lists Ingress in `policyTypes`; an isolated pod's allowed
/// traffic is the union of the rules of those policies), peers are evaluated in the policy's
/// namespace, and named ports resolve against different pods per direction (ingress: the
/// selected pod's own container ports; egress: the peer's). The compiler keeps the parts that
/// move often (which pods match a selector) in named sets and everything else in chain text, so
/// the difference between two rulesets is small when a pod comes or goes.
public enum PolicyCompiler {
    /// Everything the compiler needs: the cluster's policies, pods and namespaces as the API
    /// holds them, and this node's pod interfaces.
    public struct Input: Hashable, Sendable {
        /// Every NetworkPolicy in the cluster.
        public var policies: [NetworkPolicy]
        /// Every pod in the cluster (remote ones are peers; local ones also subjects).
        public var pods: [PolicyPod]
        /// Every namespace (a namespace missing here is taken to carry only its name label).
        public var namespaces: [PolicyNamespace]
        /// This node's pod interfaces. One whose pod is not in `pods` gets no dispatch entry,
        /// so it passes nothing until the pod is known (fail closed).
        public var endpoints: [PolicyEndpoint]
        /// The prefix of pods' host veths, `trl` (DESIGN.md "Datapath").
        public var workloadInterfacePrefix: String

        /// Memberwise initialiser.
        public init(policies: [NetworkPolicy] = [], pods: [PolicyPod] = [], namespaces: [PolicyNamespace] = [],
                    endpoints: [PolicyEndpoint] = [], workloadInterfacePrefix: String = "trl") {
            self.policies = policies
            self.pods = pods
            self.namespaces = namespaces
            self.endpoints = endpoints
            self.workloadInterfacePrefix = workloadInterfacePrefix
        }
    }

    /// The ruleset enforcing `input.policies` on `input.endpoints`.
    public static func compile(_ input: Input) -> PolicyRuleset {
        var memo = PolicySetMemo()
        return compile(input, memo: &memo)
    }

    /// The same ruleset, reusing the sets of the compile that left `memo` where their elements
    /// did not change, and leaving this compile's sets in `memo` for the next.
    public static func compile(_ input: Input, memo: inout PolicySetMemo) -> PolicyRuleset {
        let cluster = PolicyCluster(input)
        var sets = PolicySetBuilder(reusing: memo)
        let policies = Dictionary(grouping: input.policies.sorted { $0.id < $1.id }, by: \.namespace)
        var ruleset = PolicyRuleset(workloadInterfacePrefix: input.workloadInterfacePrefix)
        // Pods isolated by the same policies (the replicas of a Deployment on this node) get
        // the same rules: each distinct chain is compiled once.
        var compiledChains: [ChainKey: [String]] = [:]
        for endpoint in input.endpoints {
            guard let id = endpoint.pod else {
                for direction in PolicyDirection.allCases { ruleset.dispatch[direction, default: [:]][endpoint.interface] = .open }
                continue
            }
            guard let pod = cluster.pods[id], !pod.hostNetwork else { continue }
            let selecting = (policies[pod.namespace] ?? []).filter { $0.podSelector.matches(pod.labels) }
            for direction in PolicyDirection.allCases {
                let isolating = selecting.filter { $0.policyTypes.contains(direction) }
                guard !isolating.isEmpty else {
                    ruleset.dispatch[direction, default: [:]][endpoint.interface] = .open
                    continue
                }
                // Only ingress named ports depend on the pod itself (its container ports).
                let key = ChainKey(direction: direction, policies: isolating.map(\.id),
                                   ports: direction == .ingress ? pod.ports : [])
                var lines = compiledChains[key] ?? []
                if lines.isEmpty {
                    for policy in isolating {
                        let compiler = RuleCompiler(cluster: cluster, policy: policy, direction: direction, subject: pod)
                        for rule in policy.rules(direction) {
                            lines += compiler.lines(for: rule, sets: &sets)
                        }
                    }
                    lines.append("counter drop")
                    compiledChains[key] = lines
                }
                let chain = PolicyRuleset.chainName(direction, interface: endpoint.interface)
                ruleset.chains[chain] = lines
                ruleset.dispatch[direction, default: [:]][endpoint.interface] = .goto(chain)
            }
        }
        ruleset.sets = sets.sets
        memo = sets.memo
        return ruleset
    }
}

/// What a pod's chain in one direction depends on besides the cluster: the policies isolating
/// it, and, for ingress, its container ports (named ports resolve against them).
private struct ChainKey: Hashable {
    let direction: PolicyDirection
    let policies: [String]
    let ports: [ContainerPort]
}

/// The cluster indexed for the compiler: pods by identity, and the pods that can match a
/// selector grouped by namespace and labels, with their addresses and their namespace's labels.
struct PolicyCluster {
    /// A pod that selectors can match: not hostNetwork, with at least one address. A class:
    /// selectors hand out the same members thousands of times per compile, and copying the pod
    /// (labels, ports) each time dominated the compile at 5,000 pods.
    final class Member {
        let pod: PolicyPod
        let addresses: [IPAddress]

        init(pod: PolicyPod, addresses: [IPAddress]) {
            self.pod = pod
            self.addresses = addresses
        }
    }

    /// The members of one namespace that carry the same labels: a selector matches the group
    /// once for all of them. The replicas of a Deployment share their labels, so a cluster has
    /// far fewer groups than pods, and matching every selector against every pod was most of
    /// a compile's time.
    final class Group {
        let labels: [String: String]
        fileprivate(set) var members: [Member] = []

        init(labels: [String: String]) {
            self.labels = labels
        }
    }

    let pods: [PodID: PolicyPod]
    /// Groups by namespace, each namespace's in the order of their first pod.
    private let groupsByNamespace: [String: [Group]]
    /// The namespaces that have members, sorted, with their labels.
    private let namespaces: [(name: String, labels: [String: String])]

    init(_ input: PolicyCompiler.Input) {
        pods = Dictionary(input.pods.map { ($0.id, $0) }) { _, last in last }
        let labels = Dictionary(input.namespaces.map { ($0.name, $0.labels) }) { _, last in last }
        // A local pod's addresses are known from IPAM before its status publishes them.
        var local: [PodID: [IPAddress]] = [:]
        for endpoint in input.endpoints {
            if let pod = endpoint.pod { local[pod, default: []] += endpoint.addresses }
        }
        var groups: [String: [Group]] = [:]
        var byLabels: [String: [[String: String]: Group]] = [:]
        for pod in pods.values.sorted(by: { $0.id < $1.id }) where !pod.hostNetwork {
            var addresses = pod.addresses
            for address in local[pod.id] ?? [] where !addresses.contains(address) { addresses.append(address) }
            guard !addresses.isEmpty else { continue }
            let group: Group
            if let found = byLabels[pod.namespace]?[pod.labels] {
                group = found
            } else {
                group = Group(labels: pod.labels)
                byLabels[pod.namespace, default: [:]][pod.labels] = group
                groups[pod.namespace, default: []].append(group)
            }
            group.members.append(Member(pod: pod, addresses: addresses))
        }
        groupsByNamespace = groups
        namespaces = groups.keys.sorted().map { ($0, labels[$0] ?? PolicyNamespace(name: $0).labels) }
    }

    /// Every member, in namespace and group order.
    var members: [Member] {
        namespaces.flatMap { groupsByNamespace[$0.name] ?? [] }.flatMap(\.members)
    }

    /// The members `peer`, in a policy of `namespace`, selects (ipBlocks select by address, not
    /// here): pods matching its pod selector in the namespaces matching its namespace selector,
    /// or in `namespace` when it has none.
    func members(selectedBy peer: PolicyPeer, in namespace: String) -> [Member] {
        guard case .pods(let podSelector, let namespaceSelector) = peer else { return [] }
        let names = namespaceSelector.map { selector in namespaces.filter { selector.matches($0.labels) }.map(\.name) } ?? [namespace]
        return names.flatMap { groupsByNamespace[$0] ?? [] }.filter { podSelector?.matches($0.labels) ?? true }.flatMap(\.members)
    }
}
