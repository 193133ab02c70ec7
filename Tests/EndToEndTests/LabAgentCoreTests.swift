import Foundation
import Testing
import TestSupport

/// What the agent owns stays level-triggered, in the lab: a flushed nftables ruleset comes
/// back, an underlay MTU change reaches `node.json` and the vxlan device. (In `LabTests`' suite,
/// to share its labs.)
extension LabTests {
    @Test func flushedRulesetIsRestoredWithinOneResyncAndPodsLeaveWithTheNodeAddress() throws {
        let lab = try sharedLab(.vxlan)
        _ = try lab.exec("node-1", ["nft", "flush", "ruleset"])
        #expect(throws: (any Error).self, "the flush removed the table") {
            try lab.exec("node-1", ["nft", "list", "table", "inet", "trellis"])
        }
        let restored = eventually(within: lab.resyncInterval * 2 + .seconds(2)) {
            (try? lab.exec("node-1", ["nft", "list", "table", "inet", "trellis"]))?.contains("masquerade") == true
        }
        #expect(restored, "the resync loads inet trellis again")
        // The router has no route to the pod CIDR: its reply reaches the pod only if the pod's
        // packet left with the node's address.
        #expect(try eventually(within: .seconds(5)) { try lab.attempt(["ping", "pod-1a", "198.18.0.1"]).succeeded },
                "pod-1a reaches a host outside the cluster through masquerade")
    }

    @Test func underlayMTUChangeReachesNodeJSONAndTheVXLANDeviceOnTheNextResync() throws {
        let lab = try sharedLab(.vxlan)
        defer { _ = try? lab.exec("node-1", ["ip", "link", "set", "eth0", "mtu", "1500"]) }
        _ = try lab.exec("node-1", ["ip", "link", "set", "eth0", "mtu", "1400"])
        let runDir = try #require(try lab.info("node-1")["run_dir"])
        let followed = try eventually(within: lab.resyncInterval * 2 + .seconds(2)) {
            let node = try String(contentsOfFile: runDir + "/node.json", encoding: .utf8)
            let device = try lab.json("node-1", ["ip", "-j", "link", "show", "trellis.vxlan"]).first?["mtu"] as? Int
            return node.contains(#""mtu":1350"#) && device == 1350
        }
        #expect(followed, "node.json and trellis.vxlan follow the underlay's MTU 1400 (pods get 1350)")
        let status = try lab.lab(["http", "node-1", "/status"])
        #expect(status.contains(#""underlayMTU" : 1400"#) && status.contains(#""podMTU" : 1350"#), "\(status)")

        _ = try lab.exec("node-1", ["ip", "link", "set", "eth0", "mtu", "1500"])
        #expect(try eventually(within: lab.resyncInterval * 2 + .seconds(2)) {
            try String(contentsOfFile: runDir + "/node.json", encoding: .utf8).contains(#""mtu":1450"#)
        })
    }
}

/// On the Kubernetes datastore: an agent whose first list of Nodes answers slowly is not ready
/// while it has no route to its peers.
extension LabKubernetesTests {
    @Test func slowFirstListKeepsANewNodeUnreadyUntilItRoutesToEveryPeer() throws {
        let lab = try sharedLab(.vxlan)
        _ = try lab.lab(["kube-control", "slow", #"{"ms": 2500}"#])
        defer { _ = try? lab.lab(["kube-control", "slow", #"{"ms": 0}"#]) }
        let newcomer = try lab.addNode()
        defer { _ = try? lab.removeNode(newcomer) }
        let slices = try Lab.nodes.map { try lab.slice(of: $0) }
        var samples = 0
        var lied = false
        let wired = try eventually(within: .seconds(60)) {
            let ready = lab.readyz(newcomer) == 200
            let routed = try slices.allSatisfy { try lab.route(on: newcomer, to: $0) != nil }
            samples += 1
            if ready && !routed { lied = true }
            return ready && routed
        }
        #expect(wired, "\(newcomer) becomes ready once its routes are in")
        #expect(!lied, "\(newcomer) answered /readyz 200 before it routed to every peer")
        #expect(samples > 5, "the slow API server held the first list back for a while (\(samples) samples)")
        _ = try lab.lab(["kube-control", "slow", #"{"ms": 0}"#])
        var conditions: [[String: Any]] = []
        let cleared = try eventually(within: .seconds(20)) {
            conditions = ((try lab.kubeNode(newcomer)["status"] as? [String: Any])?["conditions"] as? [[String: Any]]) ?? []
            return conditions.contains { $0["type"] as? String == "NetworkUnavailable" && $0["status"] as? String == "False" }
        }
        #expect(cleared, "NetworkUnavailable cleared once wired: \(conditions)")
    }
}

extension LabTests {
    @Test func leaseReacquiredWithAnotherSliceMovesTheNodeAndItsPeersFollow() throws {
        let lab = try sharedLab(.vxlan)
        // A lease of 15 s is refreshed every 5 s: the agent notices a revoked lease within that.
        let node = try lab.addNode(environment: ["TRELLIS_LEASE_TTL": "15s"])
        defer { _ = try? lab.removeNode(node) }
        try lab.waitReady()
        let old = try lab.slice(of: node)
        let squatter = "/trellis/v1/subnets/" + old.replacingOccurrences(of: "/", with: "-")
        defer { _ = try? lab.lab(["etcdctl", "del", squatter]) }

        let record = try lab.lab(["etcdctl", "get", "/trellis/v1/nodes/\(node)", "-w", "json"])
        let kvs = try #require((try JSONSerialization.jsonObject(with: Data(record.utf8)) as? [String: Any])?["kvs"] as? [[String: Any]])
        let lease = try #require(kvs.first?["lease"] as? Int, "the node's record has a lease: \(record)")
        // The lease expires (revoked), and another record takes the old slice before the agent
        // notices: re-registering must lease a different slice.
        try lab.lab(["etcdctl", "lease", "revoke", String(lease, radix: 16)])
        try lab.lab(["etcdctl", "put", squatter, #"{"publicIP":"198.18.0.250","podCIDR":"\#(old)"}"#])

        var moved = ""
        let followed = try eventually(within: .seconds(40)) {
            moved = try lab.slice(of: node)
            guard moved != old else { return false }
            let vtep = String(moved.prefix { $0 != "/" })
            let device = try lab.exec(node, ["ip", "-4", "-o", "addr", "show", "dev", "trellis.vxlan"])
            return try device.contains(vtep + "/32") && !device.contains(String(old.prefix { $0 != "/" }) + "/32")
                && Lab.nodes.allSatisfy { try lab.route(on: $0, to: moved) != nil && lab.route(on: $0, to: old) == nil }
        }
        #expect(followed, "\(node) moved from \(old) to \(moved): node.json, its VTEP address and every peer's route")
    }
}
