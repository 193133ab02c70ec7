import Foundation
import IPAM
import Testing
import TestSupport

/// Many plugin processes at once, processes killed part-way, and GC.
@Suite(.serialized) struct PluginConcurrencyTests {
    @Test func fortyConcurrentAddsGetDistinctAddressesAndAllAnswer() throws {
        let count = 40
        try withPluginNode(pods: count) { node, pods in
            let running = try pods.enumerated().map { i, pod in
                try node.plugin.start(cniVariables("ADD", containerID: containerID(100 + i), netns: pod.path), stdin: node.config())
            }
            let outputs = try running.map { try $0.wait() }
            let failures = outputs.filter { $0.exitCode != 0 }.map(\.text)
            #expect(failures.isEmpty, "\(failures)")
            let addresses = outputs.flatMap(\.addresses)
            #expect(addresses.count == count)
            #expect(Set(addresses).count == count, "no two pods share an address")
            #expect(try node.allocations().count == count)
            #expect(try node.hostVeths().count == count)
            #expect(addresses.allSatisfy(node.canPing))
        }
    }

    /// Half of the ADDs are killed at a known point: their netns path is a FIFO, so the plugin
    /// blocks opening it right after reserving an address. The other half are killed at spread
    /// times while wiring a real namespace.
    @Test func addsKilledPartWayAreFullyRecoveredByGC() throws {
        let count = 12
        try withPluginNode(pods: count + 1) { node, pods in
            let fifo = node.root.appendingPathComponent("stuck-netns").path
            try #require(mkfifo(fifo, 0o600) == 0)
            for (i, pod) in pods.prefix(count).enumerated() {
                let stuck = i.isMultiple(of: 2)
                let add = try node.plugin.start(cniVariables("ADD", containerID: containerID(200 + i), netns: stuck ? fifo : pod.path),
                                                stdin: node.config(version: "1.1.0"))
                usleep(stuck ? 300_000 : UInt32(i) * 1_500)
                add.kill()
                _ = try add.wait()
            }
            let leftovers = try node.allocations().count
            #expect(leftovers >= count / 2, "the killed ADDs left reservations behind (\(leftovers))")

            let gc = try node.run("GC", config: node.config(version: "1.1.0", ["cni.dev/valid-attachments": []]))
            #expect(gc.exitCode == 0, "\(gc.text)")
            #expect(try node.allocations().isEmpty, "GC releases every reservation of the killed ADDs")
            #expect(try node.hostVeths().isEmpty, "and their veths")
            let add = try node.run("ADD", containerID: containerID(299), netns: pods[count].path)
            #expect(add.exitCode == 0, "the next ADD works: \(add.text)")
            #expect(node.canPing(add.addresses.first ?? "none"))
        }
    }

    @Test func gcFreesExactlyTheUnlistedAttachments() throws {
        try withPluginNode(pods: 3) { node, pods in
            let ids = (0..<3).map { containerID(300 + $0) }
            for (id, pod) in zip(ids, pods) {
                #expect(try node.run("ADD", containerID: id, netns: pod.path, config: node.config(version: "1.1.0")).exitCode == 0)
            }
            let valid = [ids[0], ids[2]].map { ["containerID": $0, "ifname": "eth0"] }
            let gc = try node.run("GC", config: node.config(version: "1.1.0", ["cni.dev/valid-attachments": valid]))
            #expect(gc.exitCode == 0, "\(gc.text)")
            #expect(Set(try node.allocations().map(\.attachment.containerID)) == [ids[0], ids[2]])
            #expect(try node.hostVeths().count == 2)
        }
    }

    /// A runtime's restart or retry: DEL and at once ADD of the same attachment. The DEL's
    /// detached reaper must never delete the veth the ADD made.
    @Test func delThenImmediateAddTwoHundredTimesAlwaysEndsWiredAndReachable() throws {
        try withPluginNode { node, pods in
            let id = containerID(400)
            var add = try node.run("ADD", containerID: id, netns: pods[0].path)
            try #require(add.exitCode == 0, "\(add.text)")
            var unreachable: [String] = []
            for round in 1...200 {
                let del = try node.run("DEL", containerID: id, netns: pods[0].path)
                add = try node.run("ADD", containerID: id, netns: pods[0].path)
                try #require(del.exitCode == 0 && add.exitCode == 0, "round \(round): \(del.text) \(add.text)")
                let address = add.addresses.first ?? "none"
                if !node.canPing(address) {
                    let state = (try? node.namespace.exec(["ip", "-br", "link"])) ?? "?"
                    unreachable.append("round \(round) \(address) (\(add.text)) then \(node.canPing(address) ? "reachable" : "still unreachable"): \(state)")
                }
            }
            #expect(unreachable.isEmpty, "rounds whose pod was not reachable after ADD: \(unreachable)")
            Thread.sleep(forTimeInterval: 0.2)  // the last reapers have long finished
            #expect(try node.hostVeths().count == 1)
            #expect(node.canPing(add.addresses.first ?? "none"), "the last ADD's pod is still wired")
        }
    }

    @Test func vethsNoAllocationOwnsAreRemovedByGCAndByCnictl() throws {
        try withPluginNode { node, pods in
            let id = containerID(500)
            let add = try node.run("ADD", containerID: id, netns: pods[0].path, config: node.config(version: "1.1.0"))
            try #require(add.exitCode == 0, "\(add.text)")
            let live = try node.hostVeths()

            let orphan = try node.makeOrphanVeth("trl0123456789a")
            let gc = try node.run("GC", config: node.config(version: "1.1.0", ["cni.dev/valid-attachments": [["containerID": id, "ifname": "eth0"]]]))
            #expect(gc.exitCode == 0, "\(gc.text)")
            #expect(try node.hostVeths() == live, "GC removed \(orphan) and kept the pod's veth")

            let another = try node.makeOrphanVeth("trl0123456789b")
            let output = try node.cnictlIPAM(["gc"])
            #expect(output.contains("removed host veth \(another)"), "\(output)")
            #expect(try node.hostVeths() == live)
            #expect(try node.allocations().count == 1, "the live pod keeps its address")
            #expect(node.canPing(add.addresses.first ?? "none"))
        }
    }

    @Test func cnictlGCThatSeesNoNetnsRefusesUnlessForced() throws {
        try withPluginNode(pods: 2) { node, pods in
            for (i, pod) in pods.enumerated() {
                #expect(try node.run("ADD", containerID: containerID(600 + i), netns: pod.path).exitCode == 0)
            }
            // A mount namespace of its own with an empty /run/netns: no pod's netns path is visible.
            let blind = ["unshare", "--mount", "sh", "-c", "mount -t tmpfs tmpfs /run/netns && exec \"$0\" \"$@\""]
            #expect {
                try node.cnictlIPAM(["gc"], prefix: blind)
            } throws: { error in
                guard let failure = error as? CommandError else { return false }
                return failure.status != 0 && failure.stderr.contains("--force")
            }
            #expect(try node.allocations().count == 2, "nothing was released")
            #expect(try node.hostVeths().count == 2, "no veth was removed")

            let forced = try node.cnictlIPAM(["gc", "--force"], prefix: blind)
            #expect(forced.contains("released"), "\(forced)")
            #expect(try node.allocations().isEmpty)
            #expect(try node.hostVeths().isEmpty, "their veths go with them")
        }
    }
}
