import NetworkModel
import Foundation
import IPAM
import Testing
import TestSupport

/// Two lab nodes, each with its own agent and its own containerd: pods that kubelet's path
/// started on different nodes reach each other across the overlay.
@Suite(.serialized) struct CRILabTests {
    @Test func podsStartedByContainerdOnTwoNodesReachEachOtherAcrossTheOverlay() throws {
        let lab = try Lab(mode: .vxlan)
        defer { lab.down() }
        var runtimes: [CRIRuntime] = []
        defer { runtimes.forEach { $0.shutdown() } }
        var pods: [(node: String, ip: String, container: String)] = []
        for node in ["node-1", "node-2"] {
            let info = try lab.info(node)
            let namespace = try lab.lab(["ns", node]).trimmingCharacters(in: .whitespacesAndNewlines)
            let runtime = try CRIRuntime(namespace: namespace, plugin: .init(
                runDir: info["run_dir"] ?? "", dataDir: info["data_dir"] ?? "", logFile: info["plugin_log"] ?? ""))
            runtimes.append(runtime)
            let sandbox = try runtime.runSandbox("cri-\(node)")
            let slice = try #require(IPPrefix(lab.slice(of: node))), address = try #require(IPAddress(sandbox.ip))
            #expect(slice.contains(address), "\(sandbox.ip) is in \(node)'s slice")
            pods.append((node, sandbox.ip, try runtime.runContainer(in: sandbox.id, named: "cri-\(node)", ["sleep", "3600"])))
        }
        for (runtime, (pod, peer)) in zip(runtimes, [(pods[0], pods[1]), (pods[1], pods[0])]) {
            let ping = try runtime.exec(pod.container, ["ping", "-c", "1", "-W", "2", peer.ip])
            #expect(ping.exitCode == 0, "the pod on \(pod.node) reaches the one on \(peer.node): \(ping.output)")
        }
    }
}
