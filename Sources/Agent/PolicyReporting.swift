import AgentAPI
import FoundationEssentials
import Policy

/// The policy report (`/policy`, `cnictl policy`) from the controller's state. Pure.
enum PolicyReporting {
    static func report(inputs: PolicyInputs, applied: PolicyRuleset?, inStep: Bool, drops: [String: UInt64],
                       lastCommit: Date?, latency: Duration?) -> PolicyReport {
        var report = PolicyReport(enabled: true, inStep: inStep,
                                  waitingFor: inStep ? nil : inputs.missing ?? "the policy table to be loaded (see the agent's log)")
        report.policies = inputs.policies.count
        report.pods = inputs.pods.count
        report.namespaces = inputs.namespaces.count
        report.setElements = applied?.sets.values.reduce(0) { $0 + $1.elements.count } ?? 0
        report.lastCommit = lastCommit
        report.lastCommitLatency = latency.map { Double($0.nanoseconds) / 1e9 }
        report.problems = inputs.problems
        let policies = inputs.policiesByID.values.sorted { $0.id < $1.id }
        report.endpoints = (inputs.endpoints ?? []).map { endpoint in
            let pod = endpoint.pod.flatMap { inputs.pods[$0.description] }
            let directions = PolicyDirection.allCases.sorted().map { direction -> PolicyReport.Direction in
                let name = direction.rawValue
                guard endpoint.pod != nil else { return PolicyReport.Direction(direction: name, state: "open") }
                guard let pod, case let verdict? = applied?.dispatch(direction)[endpoint.interface] else {
                    return PolicyReport.Direction(direction: name, state: "blocked")
                }
                let isolating = policies.filter {
                    $0.namespace == pod.namespace && $0.podSelector.matches(pod.labels) && $0.policyTypes.contains(direction)
                }
                guard case .goto(let chain) = verdict else { return PolicyReport.Direction(direction: name, state: "open") }
                return PolicyReport.Direction(direction: name, state: "isolated", policies: isolating.map(\.id),
                                              allows: isolating.flatMap { $0.allows(direction) },
                                              rules: applied?.chains[chain] ?? [], dropped: drops[chain] ?? 0)
            }
            return PolicyReport.Endpoint(pod: endpoint.pod?.description, interface: endpoint.interface,
                                         addresses: endpoint.addresses.map(\.description), directions: directions)
        }.sorted { ($0.pod ?? "", $0.interface) < ($1.pod ?? "", $1.interface) }
        return report
    }
}
