import NetworkModel
import Foundation
import IPAM
import Testing
import TestSupport

/// kubelet's own path on one node: containerd's CRI plugin runs pod sandboxes through go-cni and
/// libcni with the conflist `trellisd install-cni` wrote (trellis, portmap, bandwidth).
@Suite(.serialized) struct CRITests {
    /// Runs `body` with a plugin node (slice 10.244.1.0/24, address 198.18.0.10) and a containerd
    /// in it; everything is stopped and removed afterwards, also when `body` throws.
    func withCRINode(_ body: (PluginNode, CRIRuntime) throws -> Void) throws {
        try withPluginNode(pods: 0) { node, _ in
            let runtime = try CRIRuntime(namespace: node.namespace.name, plugin: .init(
                runDir: node.runDir, dataDir: node.dataDir, logFile: node.root.appendingPathComponent("trellis.log").path))
            defer {
                runtime.shutdown()
                #expect(runtime.shimPIDs().isEmpty, "no shim outlives the test")
            }
            try body(node, runtime)
        }
    }

    @Test func sandboxesGetAddressesOfTheSliceAndTheirContainersReachEachOtherUntilStopAndRemoveReleaseAll() throws {
        try withCRINode { node, cri in
            let first = try cri.runSandbox("first"), second = try cri.runSandbox("second")
            for sandbox in [first, second] {
                let address = try #require(IPAddress(sandbox.ip))
                #expect(PluginNode.slice.contains(address), "\(sandbox.ip) is in the node's slice")
                #expect(try cri.cri(["status", sandbox.id])["ip"] as? String == sandbox.ip, "PodSandboxStatus reports it")
            }
            #expect(Set(try node.allocations().map(\.address.description)) == [first.ip, second.ip])

            let container = try cri.runContainer(in: first.id, named: "first", ["sleep", "3600"])
            let ping = try cri.exec(container, ["ping", "-c", "1", "-W", "2", second.ip])
            #expect(ping.exitCode == 0, "a container in one sandbox pings the other: \(ping.output)")

            for sandbox in [first, second] {
                try cri.cri(["stop", sandbox.id])
                try cri.cri(["remove", sandbox.id])
            }
            #expect(try node.allocations().isEmpty, "their addresses are free")
            #expect(try node.hostVeths().isEmpty, "their veths are gone")
            #expect(try cri.sandboxNetnsMounts().isEmpty, "their network namespaces are gone")
            #expect(try cri.sandboxes().isEmpty)
        }
    }

    @Test func aHostPortReachesThePodThroughTheChainedPortmapUntilTheSandboxStops() throws {
        try withCRINode { node, cri in
            let web = try cri.runSandbox("web", ports: ["18080:8080"])
            _ = try cri.runContainer(in: web.id, named: "web",
                                     ["sh", "-c", "while :; do echo hello-from-\(web.ip) | nc -l -p 8080; done"])
            let request = "exec 3<>/dev/tcp/\(PluginNode.address)/18080 && timeout 2 cat <&3"
            var answer = ""
            #expect(eventually(within: .seconds(10)) {
                answer = (try? node.namespace.exec(["timeout", "3", "bash", "-c", request])) ?? ""
                return answer.contains("hello-from-\(web.ip)")
            }, "the node's port 18080 leads to the pod's 8080: \(answer)")

            try cri.cri(["stop", web.id])
            #expect(!(try node.namespace.exec(["iptables-save", "-t", "nat"])).contains("18080"),
                    "portmap's DEL removed the mapping")
        }
    }

    @Test func twentySandboxesAtOnceEachGetTheirOwnAddress() throws {
        try withCRINode { node, cri in
            let sandboxes = try cri.runSandboxes("many", count: 20)
            let failed = sandboxes.filter { $0["error"] != nil }
            #expect(failed.isEmpty, "\(failed)")
            let addresses = Set(sandboxes.compactMap { $0["ip"] })
            #expect(addresses.count == 20, "20 distinct addresses")
            #expect(addresses.allSatisfy { IPAddress($0).map(PluginNode.slice.contains) == true })
            #expect(try node.allocations().count == 20)

            try cri.cri(["remove-all"])
            #expect(try node.allocations().isEmpty)
            #expect(try node.hostVeths().isEmpty)
        }
    }

    @Test func podsKeepTheirNetworkAcrossAContainerdRestart() throws {
        try withCRINode { node, cri in
            let first = try cri.runSandbox("first"), second = try cri.runSandbox("second")
            let container = try cri.runContainer(in: first.id, named: "first", ["sleep", "3600"])

            try cri.restartContainerd()
            for sandbox in [first, second] {
                let status = try cri.cri(["status", sandbox.id])
                #expect(status["state"] as? String == "SANDBOX_READY")
                #expect(status["ip"] as? String == sandbox.ip, "the same address after the restart")
            }
            #expect(try cri.exec(container, ["ping", "-c", "1", "-W", "2", second.ip]).exitCode == 0)
            #expect(try node.allocations().count == 2, "nothing was re-added or released")

            try cri.cri(["remove-all"])
            #expect(try node.allocations().isEmpty)
            #expect(try node.hostVeths().isEmpty)
        }
    }

    @Test func aFailingAddFailsRunPodSandboxNamingTrellisAndLeavesNothingBehind() throws {
        try withCRINode { node, cri in
            // A /30 has two addresses to hand out: the third sandbox finds the slice exhausted.
            let tiny = IPPrefix("10.244.1.0/30")!
            try NodeInfo(nodeName: "node-1", podCIDRs: [tiny], clusterCIDRs: [IPPrefix("10.244.0.0/16")!],
                         mtu: 1450, mode: .vxlan).write(to: node.runDir)
            _ = try cri.runSandbox("one")
            _ = try cri.runSandbox("two")
            let veths = try node.hostVeths(), netnsBefore = Set(try cri.sandboxNetnsMounts())

            let failed = try #require(try cri.runSandboxes("three").first)
            #expect(failed["id"] == nil)
            let message = failed["error"] ?? ""
            #expect(message.contains("trellis") && message.contains("no free address left in 10.244.1.0/30"),
                    "the runtime's error names the plugin and the reason: \(message)")
            #expect(try cri.sandboxes().count == 2, "no sandbox of the failed pod stays")
            #expect(try node.allocations().count == 2, "no address is held for it")
            #expect(try node.hostVeths() == veths, "no veth is left for it")
            var mounts: [String] = []
            #expect(try eventually(within: .seconds(5)) {
                mounts = try cri.sandboxNetnsMounts()
                return Set(mounts).isSubset(of: netnsBefore)
            }, "no network namespace is left for it: \(mounts), before: \(netnsBefore)")
        }
    }

    /// Docs/install.md, step 1: the image `make image` built, saved by podman and imported with
    /// `ctr -n k8s.io images import`, is where kubelet looks for it, under the manifest's name.
    @Test func theImagePodmanSavedImportsIntoContainerdsKubernetesNamespace() throws {
        let image = try #require(try DeployManifest.load().podSpec.containers.first?.image)
        guard (try? run(["podman", "image", "exists", image])) != nil else {
            throw LabError(message: "the image \(image) is missing: run `make image` (make test does) first")
        }
        try withCRINode { _, cri in
            let archive = cri.root.appendingPathComponent("trellis-image.tar").path
            try run(["podman", "save", "-o", archive, image])
            try run(["ctr", "-a", cri.socket, "-n", "k8s.io", "images", "import", archive])
            let images = try run(["ctr", "-a", cri.socket, "-n", "k8s.io", "images", "ls", "-q"])
            #expect(images.split(separator: "\n").contains { $0 == image },
                    "containerd's k8s.io namespace lists \(image): \(images)")
        }
    }
}
