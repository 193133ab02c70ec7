import Foundation
import IPAM
import Testing
import TestSupport

/// Dual-stack end to end: the lab with an IPv6 underlay too (`up --dual-stack`: fd00:198:18::/64
/// near, fd00:198:18:1::/64 behind the router), cluster CIDR 10.244.0.0/16,fd00:10:244::/56, in
/// every mode and on both datastores. Each case brings its own lab up and takes it down.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct DualStackLabTests {
    static let cases: [(NodeInfo.Mode, Lab.Datastore)] = NodeInfo.Mode.allCases.flatMap { mode in
        [Lab.Datastore.etcd, .kubernetes].map { (mode, $0) }
    }

    @Test(arguments: cases)
    func bothFamiliesReachEveryNode(mode: NodeInfo.Mode, datastore: Lab.Datastore) throws {
        let lab = try Lab(mode: mode, datastore: datastore, dualStack: true)
        defer { lab.down() }

        var last = ""
        let reached = try eventually(within: .seconds(20)) {
            let mesh = try lab.mesh()
            last = mesh.output
            return mesh.succeeded
        }
        #expect(reached, "pods that cannot reach each other over IPv4 and IPv6:\n\(last)")

        try expectIPv6PeerEntries(lab, mode: mode)
        try expectSources(lab)
        try expectRestartDeletesNothing(lab)

        let departed = "node-3"
        let slice6 = try slices(lab, departed)[1]
        try lab.removeNode(departed)
        let withdrawn = try eventually(within: .seconds(15)) {
            try ["node-1", "node-2"].allSatisfy { try lab.route(on: $0, to: slice6) == nil }
        }
        #expect(withdrawn, "the departed node's IPv6 slice \(slice6) is withdrawn on every node")
    }

    /// Per node and peer: the route to the peer's IPv6 slice as the mode says; over the overlay
    /// an NDP neighbour for the IPv6 VTEP address and still exactly one FDB entry per peer.
    private func expectIPv6PeerEntries(_ lab: Lab, mode: NodeInfo.Mode) throws {
        for node in Lab.nodes {
            let segment = try lab.info(node)["segment"]
            for peer in Lab.nodes where peer != node {
                let info = try lab.info(peer)
                let slice6 = try slices(lab, peer)[1]
                let route = try #require(try lab.route(on: node, to: slice6), "\(node) has no route to \(peer)'s \(slice6)")
                if mode == .vxlan || (mode == .hybrid && info["segment"] != segment) {
                    let vtep6 = String(slice6.prefix { $0 != "/" })
                    #expect(route == LabRoute(["dst": slice6, "gateway": vtep6, "dev": "trellis.vxlan", "flags": ["onlink"]]),
                            "\(node) reaches \(peer)'s IPv6 slice over VXLAN: \(route)")
                    let mac = try lab.vtepMAC(of: peer)
                    let neighbour = try lab.json(node, ["ip", "-6", "-j", "neigh", "show", "dev", "trellis.vxlan", "to", vtep6]).first
                    #expect(neighbour?["lladdr"] as? String == mac && (neighbour?["state"] as? [String] ?? []).contains("PERMANENT"),
                            "\(node): NDP neighbour \(vtep6) -> \(mac): \(neighbour ?? [:])")
                    let fdb = try lab.json(node, ["bridge", "-j", "fdb", "show", "dev", "trellis.vxlan"]).filter { $0["mac"] as? String == mac }
                    #expect(fdb.count == 1 && fdb.first?["dst"] as? String == info["address"],
                            "\(node): one FDB entry for \(peer), to its IPv4 underlay address: \(fdb)")
                } else {
                    #expect(route == LabRoute(["dst": slice6, "gateway": info["address6"] ?? "?", "dev": "eth0"]),
                            "\(node) routes \(peer)'s IPv6 slice via its IPv6 underlay address: \(route)")
                }
            }
        }
    }

    /// IPv6 pod egress: a host outside the cluster (the lab's etcd/API namespace) sees the node's
    /// address; a pod on another node sees the pod's own.
    private func expectSources(_ lab: Lab) throws {
        let node1 = try #require(try lab.info("node-1")["address6"])
        let pod1a = try podAddress6(lab, "pod-1a")
        #expect(try sourceAddress(lab, seenBy: "etcd", at: "fd00:198:18::2", from: "pod-1a") == node1,
                "an outside IPv6 host sees pod-1a's traffic from node-1's address (masquerade)")
        #expect(try sourceAddress(lab, seenBy: "pod-2a", at: podAddress6(lab, "pod-2a"), from: "pod-1a") == pod1a,
                "a pod on another node sees pod-1a's own IPv6 address (never masqueraded)")
    }

    /// A restarted agent deletes no route or VXLAN entry, IPv6 ones included, on any node.
    private func expectRestartDeletesNothing(_ lab: Lab) throws {
        let monitors = try Lab.nodes.map { try LabKernelMonitor(lab: lab, node: $0) }
        try lab.restartAgent("node-2")
        try lab.waitReady(["node-2"])
        Thread.sleep(forTimeInterval: Double((lab.resyncInterval * 2).components.seconds) + 1)
        for monitor in monitors {
            _ = monitor.stop()
            #expect(monitor.trellisDeletions.isEmpty, "\(monitor.node) saw deletions while node-2's agent restarted: \(monitor.trellisDeletions)")
        }
    }

    private func slices(_ lab: Lab, _ node: String) throws -> [String] {
        let slices = try #require(try lab.info(node)["slices"]).split(separator: ",").map(String.init)
        try #require(slices.count == 2, "\(node) has both slices in node.json: \(slices)")
        return slices
    }

    private func podAddress6(_ lab: Lab, _ pod: String) throws -> String {
        let addresses = try lab.json(pod, ["ip", "-6", "-j", "addr", "show", "dev", "eth0", "scope", "global"])
        let address = (addresses.first?["addr_info"] as? [[String: Any]])?.first?["local"] as? String
        return try #require(address, "\(pod) has a global IPv6 address")
    }

    /// The source address `target` sees on a UDP datagram that `pod` sends to `address` (an address
    /// of `target`): a listener in `target`'s namespace prints it.
    private func sourceAddress(_ lab: Lab, seenBy target: String, at address: String, from pod: String) throws -> String {
        let port = 9000 + Int.random(in: 0..<900)
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        listener.arguments = ["netns", "exec", try lab.lab(["ns", target]).trimmingCharacters(in: .whitespacesAndNewlines),
                              "python3", "-c", """
            import socket
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.bind(("::", \(port)))
            s.settimeout(10)
            print(s.recvfrom(64)[1][0], flush=True)
            """]
        let output = Pipe()
        listener.standardOutput = output
        try listener.run()
        defer { if listener.isRunning { listener.terminate() } }
        let send = "import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b'x', ('\(address)', \(port)))"
        _ = eventually(within: .seconds(8)) {
            _ = try? lab.exec(pod, ["python3", "-c", send])
            return !listener.isRunning
        }
        listener.waitUntilExit()
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
