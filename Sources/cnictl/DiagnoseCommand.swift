import NetworkModel
import AgentAPI
import ArgumentParser
import FoundationEssentials
import IPAM
import Netlink
import NetworkModel
import PodNetwork

/// `cnictl diagnose`: what this node's kernel holds against what it should hold, one line per
/// finding; exit status 1 when there is any. Reads only: it never writes to the kernel.
///
/// The datapath is compared by the agent itself against its own desired state (`/diagnose`),
/// so the two can never disagree; cnictl adds what it sees on its own: `node.json`, the
/// agent's readiness, and every pod's veth and host route.
struct DiagnoseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnose",
        abstract: "Compare this node's kernel state with the desired state; one line per finding, exit 1 if any.")

    @Option(help: "Where the agent writes node.json.")
    var runDir = "/run/trellis"

    @OptionGroup var store: StoreOptions

    @Flag(help: "Print the findings as JSON.")
    var json = false

    func run() async throws {
        let findings = await Diagnosis(runDir: runDir, store: store).findings()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(findings), as: UTF8.self))
        } else if findings.isEmpty {
            print("no findings: the kernel matches the desired state")
        } else {
            findings.forEach { print("\($0.check): \($0.message)") }
        }
        if !findings.isEmpty { throw ExitCode(1) }
    }
}

/// The checks of `cnictl diagnose`, each adding findings and never throwing.
struct Diagnosis {
    let runDir: String
    let store: StoreOptions

    func findings() async -> [Finding] {
        var findings: [Finding] = []
        func add(_ check: String, _ message: String) { findings.append(Finding(check: check, message: message)) }

        let node: NodeInfo
        do { node = try NodeInfo.load(runDir: runDir) } catch {
            add("node.json", "\(error)")
            return findings
        }
        let handle: NetlinkHandle
        do { handle = try NetlinkHandle() } catch {
            add("netlink", "cannot open a netlink socket: \(error)")
            return findings
        }
        checkPods(node, handle, add)

        let agent: AgentClient
        let status: AgentStatusReport
        do {
            agent = try AgentClient(runDir: runDir)
            status = try await agent.status()
        } catch {
            add("agent", "\(error)")
            return findings
        }
        if !status.facts.isReady { add("agent", "phase is \(status.phase.rawValue), not ready") }
        for error in status.errors.suffix(3) { add("agent", "recent error: \(error)") }
        do {
            findings += try await agent.findings()
        } catch {
            add("agent", "\(error)")
        }
        return findings
    }

    /// Every allocation: inside the slice, with its host veth and the host route to it.
    private func checkPods(_ node: NodeInfo, _ handle: NetlinkHandle, _ add: (String, String) -> Void) {
        guard let (records, corrupt) = try? store.store().list() else {
            add("pod", "cannot read the IPAM store under \(store.dataDir)")
            return
        }
        for record in corrupt { add("pod", "corrupt allocation record \(record.path): \(record.reason)") }
        let routes = Set((try? handle.routes())?.map(\.destination) ?? []) .union((try? handle.routes(family: .v6))?.map(\.destination) ?? [])
        for record in records {
            let names = [HostVethName.forAttachment(record.attachment), HostVethName.legacy(containerID: record.attachment.containerID)]
            let veth = names.first { (try? handle.findLink(named: $0)) != nil } ?? names[0]
            if !node.podCIDRs.contains(where: { $0.contains(record.address) }) {
                add("pod", "\(record.summary) is outside this node's slice")
            }
            if (try? handle.findLink(named: veth)) == nil {
                add("pod", "\(record.summary) has no host veth \(veth)")
            } else if !routes.contains(IPPrefix(host: record.address)) {
                add("pod", "\(record.summary) has no host route via \(veth)")
            }
        }
    }
}
