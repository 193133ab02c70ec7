import AgentAPI
import ArgumentParser
import FoundationEssentials

/// `cnictl policy [NAMESPACE/POD] [--json]`: NetworkPolicy on this node as its agent enforces
/// it: for each local pod, per direction, whether it is isolated, by which policies, what they
/// allow in words and as the rules loaded, and what was dropped.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "policy",
                                                    abstract: "Show the NetworkPolicy enforced on this node's pods.")

    @Argument(help: "Only this pod (NAMESPACE/POD).")
    var pod: String?

    @Option(help: "Where the agent writes node.json.")
    var runDir = "/run/trellis"

    @Flag(help: "Print the agent's /policy JSON.")
    var json = false

    func validate() throws {
        if let pod, pod.split(separator: "/", omittingEmptySubsequences: false).count != 2 || pod.hasPrefix("/") || pod.hasSuffix("/") {
            throw ValidationError("\(pod) is not NAMESPACE/POD")
        }
    }

    func run() async throws {
        var report = try await AgentClient(runDir: runDir).policy()
        if let pod {
            report.endpoints = report.endpoints.filter { $0.pod == pod }
            guard !report.endpoints.isEmpty else {
                throw ValidationError("no pod \(pod) runs on this node (cnictl policy lists the local ones)")
            }
        }
        print(json ? String(decoding: try report.json(), as: UTF8.self) : report.text)
    }
}

extension PolicyReport {
    /// The human form: the summary, then one block per local pod interface.
    var text: String {
        guard enabled else { return "NetworkPolicy is not enforced on this node (--network-policy false, or the etcd datastore)" }
        var lines = [
            "in step:     \(inStep ? "yes" : "NO, waiting for \(waitingFor ?? "?")")",
            "known:       \(policies) policies, \(pods) pods, \(namespaces) namespaces; \(setElements) set elements",
            "last commit: " + (lastCommit.map { "\($0.formatted(.iso8601)), \(lastCommitLatency.map { "\(($0 * 10_000).rounded() / 10) ms" } ?? "-") after its event" } ?? "never"),
        ]
        if !problems.isEmpty {
            lines.append("problems (left out, failing closed):")
            lines += problems.map { "  \($0)" }
        }
        for endpoint in endpoints {
            lines.append("")
            lines.append("\(endpoint.pod ?? "(no pod)")  \(endpoint.interface)  \(endpoint.addresses.joined(separator: ", "))")
            for direction in endpoint.directions {
                switch direction.state {
                case "isolated":
                    lines.append("  \(direction.direction): isolated by \(direction.policies.joined(separator: ", ")); dropped \(direction.dropped) packets")
                    lines += direction.allows.map { "    allows \($0)" }
                    lines += direction.rules.map { "    rule   \($0)" }
                case "blocked":
                    lines.append("  \(direction.direction): BLOCKED (its Pod object is not known yet: nothing passes)")
                default:
                    lines.append("  \(direction.direction): open (no policy selects it for \(direction.direction))")
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}
