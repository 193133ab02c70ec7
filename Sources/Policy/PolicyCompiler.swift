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

    /// The same ruleset, reusing each set of the compile that left `memo` whose sources did not
    /// change since (the same groups of pods with the same addresses, or the same elements),
    /// and leaving this compile's sets and groups in `memo` for the next.
    public static func compile(_ input: Input, memo: inout PolicySetMemo) -> PolicyRuleset {
        let cluster = PolicyCluster(input, previousGroups: memo.groupAddresses)
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
        memo.groupAddresses = cluster.groupAddresses
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
