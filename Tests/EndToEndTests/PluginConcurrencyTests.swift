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
}
