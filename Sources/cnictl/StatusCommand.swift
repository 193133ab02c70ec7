import ArgumentParser
import FoundationEssentials
import AgentAPI
import NetworkModel

/// `cnictl status`: this node as its agent sees it: slice, mode, phase, peers, last sync and
/// the most recent errors.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status",
                                                    abstract: "Show this node's slice, mode, peers, last sync and errors.")

    @Option(help: "Where the agent writes node.json.")
    var runDir = "/run/trellis"

    @Flag(help: "Print the agent's /status JSON.")
    var json = false

    func run() async throws {
        let report = try await AgentClient(runDir: runDir).status()
        if json {
            print(String(decoding: try report.json(), as: UTF8.self))
        } else {
            print(report.text(now: Date()))
        }
    }
}

extension AgentStatusReport {
    /// The human form: a header block, the readiness facts, one line per peer, then errors.
    func text(now: Date) -> String {
        func ago(_ date: Date?) -> String {
            guard let date else { return "never" }
            return "\(Int(now.timeIntervalSince(date).rounded()))s ago"
        }
        func yes(_ fact: Bool) -> String { fact ? "yes" : "NO" }
        var lines = [
            "node:        \(nodeName)",
            "mode:        \(mode.rawValue)",
            "phase:       \(phase.rawValue)\(facts.isReady ? "" : " (not ready)")",
            "  registered:            \(yes(facts.registered))",
            "  local datapath ready:  \(yes(facts.localDatapathReady))",
            "  datastore reachable:   \(yes(facts.datastoreReachable))",
            "  first list applied:    \(yes(facts.firstListApplied))",
            "  last pass converged:   \(yes(facts.lastPassConverged))",
            "  policy in step:        \(facts.policyInStep.map(yes) ?? "- (NetworkPolicy not enforced)")",
            "pod CIDRs:   \(podCIDRs.map(\.description).joined(separator: ", "))",
            "public IP:   \(publicIP?.description ?? "-")"
                + underlayAddresses.filter { $0.family == .v6 }.map { ", \($0.address)" }.joined(),
            "VTEP MAC:    \(vtepMAC ?? "-")",
            "underlay:    \(underlayInterface ?? "-") mtu \(underlayMTU.map(String.init) ?? "-"), pods get mtu \(podMTU.map(String.init) ?? "-")",
            "routes:      \(routeShape ?? "-")",
            "last sync:   \(ago(lastSync))",
            "last resync: \(ago(lastResync))",
            "peers:       \(peers.count)",
        ]
        let width = max(4, peers.map(\.name.count).max() ?? 0)
        for peer in peers.sorted(by: { $0.name < $1.name }) {
            let name = peer.name + String(repeating: " ", count: width - peer.name.count)
            let paths = peer.podCIDRs.map { cidr in
                switch PeerPath.choose(for: cidr, of: peer, mode: mode, underlay: underlayAddresses) {
                case .direct(let gateway): "\(cidr) via \(gateway)"
                case .vxlan: "\(cidr) over vxlan to \(peer.publicIP)"
                }
            }
            lines.append("  \(name)  \(paths.joined(separator: ", "))" + (peer.vtepMAC.map { "  vtep \($0)" } ?? ""))
        }
        lines.append("errors:      \(errors.isEmpty ? "none" : "")")
        lines += errors.map { "  \($0)" }
        return lines.joined(separator: "\n")
    }
}
