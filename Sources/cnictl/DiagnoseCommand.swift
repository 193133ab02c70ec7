import ArgumentParser
import Cluster
import Foundation
import IPAM
import Netlink
import Overlay
import PodNetwork

/// `cnictl diagnose`: what this node's kernel holds against what it should hold, one line per
/// finding; exit status 1 when there is any. Reads only: it never writes to the kernel.
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
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(findings), as: UTF8.self))
        } else if findings.isEmpty {
            print("no findings: the kernel matches the desired state")
        } else {
            findings.forEach { print("\($0.check): \($0.message)") }
        }
        if !findings.isEmpty { throw ExitCode(1) }
    }
}

/// One difference between what should be and what is.
struct Finding: Codable, Hashable {
    /// What was checked: `agent`, `node.json`, `vxlan`, `datapath`, `peer`, `forwarding`, `pod`.
    var check: String
    var message: String
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
        checkForwarding(node, add)
        checkPods(node, handle, add)

        let status: AgentStatusReport
        do { status = try await AgentClient(runDir: runDir).status() } catch {
            add("agent", "\(error)")
            return findings
        }
        if status.phase != .ready { add("agent", "phase is \(status.phase.rawValue), not ready") }
        for error in status.errors.suffix(3) { add("agent", "recent error: \(error)") }
        do {
            try checkDatapath(node, status, handle, add)
        } catch {
            add("datapath", "cannot compare with the kernel: \(error)")
        }
        return findings
    }

    /// Desired routes, neighbours and FDB entries (from the agent's peers) against the kernel's.
    private func checkDatapath(_ node: NodeInfo, _ status: AgentStatusReport, _ handle: NetlinkHandle,
                               _ add: (String, String) -> Void) throws {
        guard let publicText = status.publicIP, let publicIP = IPAddress(publicText),
              let interface = status.underlayInterface else {
            add("agent", "the agent has not registered yet")
            return
        }
        let link = try handle.link(named: interface)
        let address = try handle.addresses(linkIndex: link.index, family: publicIP.family).first { $0.prefix.address == publicIP }
        guard let address else {
            add("underlay", "\(interface) no longer has the node's public IP \(publicIP)")
            return
        }
        let local = ClusterNode(name: status.nodeName, podCIDRs: node.podCIDRs, publicIP: publicIP,
                                vtepMAC: status.vtepMAC, backend: node.mode)
        let config = OverlayConfig(mode: node.mode, localNode: local,
                                   underlay: UnderlayLink(name: link.name, index: link.index, address: address.prefix, mtu: link.mtu),
                                   vxlan: VXLANSettings(vni: status.vxlanVNI ?? 1, port: status.vxlanPort ?? 8472),
                                   clusterCIDRs: node.clusterCIDRs)
        var vxlanIndex: Int32?
        if config.usesVXLAN {
            vxlanIndex = checkVXLANDevice(config, status, handle, add)
        }
        let desired = DesiredState.compute(config: config, vxlanLinkIndex: vxlanIndex, peers: status.peers)
        for peer in desired.skipped where !peer.isRoutine { add("peer", "\(peer)") }
        let observed = try DatapathState.observe(handle: handle, routeProtocol: config.routeProtocol, vxlanLinkIndex: vxlanIndex)
        for operation in Planner.plan(desired: desired.datapath, observed: observed) {
            add("datapath", "needs `\(handle.describe(operation))`")
        }
        if status.masquerade == true, (try? Process.output("nft", ["list", "table", "inet", "trellis"])) == nil {
            add("masquerade", "the nftables table inet trellis is missing")
        }
    }

    /// The vxlan device: present, up, with the published MAC and the mode's MTU. Returns its index.
    private func checkVXLANDevice(_ config: OverlayConfig, _ status: AgentStatusReport, _ handle: NetlinkHandle,
                                  _ add: (String, String) -> Void) -> Int32? {
        let name = config.vxlan.deviceName
        guard let device = try? handle.findLink(named: name) else {
            add("vxlan", "\(name) is missing")
            return nil
        }
        if !device.isUp { add("vxlan", "\(name) is down") }
        if device.mac?.description != status.vtepMAC {
            add("vxlan", "\(name) has MAC \(device.mac?.description ?? "none") but peers were told \(status.vtepMAC ?? "none")")
        }
        if device.mtu != config.podMTU { add("vxlan", "\(name) has MTU \(device.mtu), expected \(config.podMTU)") }
        if let settings = try? handle.vxlan(named: name), settings.vni != config.vxlan.vni || settings.port != config.vxlan.port {
            add("vxlan", "\(name) has VNI \(settings.vni) port \(settings.port), expected VNI \(config.vxlan.vni) port \(config.vxlan.port)")
        }
        return device.index
    }

    /// Forwarding must be on for every family the node has a slice in.
    private func checkForwarding(_ node: NodeInfo, _ add: (String, String) -> Void) {
        for family in Set(node.podCIDRs.map(\.family)) {
            let key = family == .v4 ? "net/ipv4/ip_forward" : "net/ipv6/conf/all/forwarding"
            let value = (try? String(contentsOfFile: "/proc/sys/" + key, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            if value != "1" { add("forwarding", "\(key.replacingOccurrences(of: "/", with: ".")) is \(value ?? "unreadable"), pods cannot be routed") }
        }
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
            let veth = HostVethName.forAttachment(record.attachment)
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

extension Process {
    /// Runs `tool` (looked up in PATH) and returns its stdout; throws when it cannot run or exits non-zero.
    static func output(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ExitCode(process.terminationStatus) }
        return String(decoding: data, as: UTF8.self)
    }
}
