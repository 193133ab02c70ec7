import Foundation
import IPAM
import Testing
import TestSupport

/// The cluster end to end on the Kubernetes datastore: the lab (`lab/lab up --datastore
/// kubernetes`) with the project's test API server (`Tests/ClusterTests/kube-api-server.py`) in
/// the control namespace instead of etcd, three nodes in vxlan mode whose Node objects the lab
/// created (slice 10.244.N.0/24, InternalIP the underlay address), each running the real
/// `trellisd --datastore kubernetes`, two pods per node. One lab is shared by the serialized tests
/// (agents resync every 2 s); each test leaves it as it found it.
@Suite(.serialized, .sharedLabs(datastore: .kubernetes), .timeLimit(.minutes(3)))
struct LabKubernetesTests {
    @Test func everyPodReachesEveryOtherPodOnEveryNode() throws {
        let lab = try sharedLab(.vxlan)
        var last = ""
        let reached = try eventually(within: .seconds(20)) {
            let mesh = try lab.mesh()
            last = mesh.output
            return mesh.succeeded
        }
        #expect(reached, "pods that cannot reach each other:\n\(last)")
    }

    @Test func eachAgentTakesItsSliceFromItsNodeObjectAndPublishesItsVTEP() throws {
        let lab = try sharedLab(.vxlan)
        for node in Lab.nodes {
            let object = try lab.kubeNode(node)
            let spec = try #require(object["spec"] as? [String: Any])
            let metadata = try #require(object["metadata"] as? [String: Any])
            let annotations = metadata["annotations"] as? [String: String] ?? [:]
            let address = try #require(try lab.info(node)["address"])
            #expect(try lab.slice(of: node) == (spec["podCIDRs"] as? [String])?.first, "\(node) uses the slice of its Node")
            #expect(annotations["trellis.dev/public-ip"] == address, "\(node): \(annotations)")
            #expect(try annotations["trellis.dev/vtep-mac"] == lab.vtepMAC(of: node), "\(node): \(annotations)")
            #expect(annotations["trellis.dev/backend"] == "vxlan", "\(node): \(annotations)")
            let conditions = (object["status"] as? [String: Any])?["conditions"] as? [[String: Any]] ?? []
            let unavailable = conditions.first { $0["type"] as? String == "NetworkUnavailable" }
            #expect(unavailable?["status"] as? String == "False" && unavailable?["reason"] as? String == "TrellisIsUp",
                    "\(node) cleared NetworkUnavailable: \(conditions)")
        }
    }

    @Test func peersForwardToTheVTEPEachNodePublished() throws {
        let lab = try sharedLab(.vxlan)
        for peer in Lab.nodes {
            let annotations = try #require((try lab.kubeNode(peer)["metadata"] as? [String: Any])?["annotations"] as? [String: String])
            let mac = try #require(annotations["trellis.dev/vtep-mac"])
            let publicIP = try #require(annotations["trellis.dev/public-ip"])
            let slice = try lab.slice(of: peer)
            let vtepIP = String(slice.prefix { $0 != "/" })
            for node in Lab.nodes where node != peer {
                let route = try lab.route(on: node, to: slice)
                #expect(route == LabRoute(["dst": slice, "gateway": vtepIP, "dev": "trellis.vxlan", "flags": ["onlink"]]),
                        "\(node) reaches \(peer) over VXLAN: \(route.map(\.description) ?? "no route")")
                let fdb = try lab.json(node, ["bridge", "-j", "fdb", "show", "dev", "trellis.vxlan"])
                #expect(fdb.contains { $0["mac"] as? String == mac && $0["dst"] as? String == publicIP },
                        "\(node): FDB \(mac) -> \(publicIP): \(fdb)")
                let neighbours = try lab.json(node, ["ip", "-j", "neigh", "show", "dev", "trellis.vxlan", "to", vtepIP])
                #expect(neighbours.first?["lladdr"] as? String == mac, "\(node): neighbour \(vtepIP) -> \(mac): \(neighbours)")
            }
        }
    }

    @Test func nodeDeletedInTheAPIIsWithdrawnFromEveryPeer() throws {
        let lab = try sharedLab(.vxlan)
        let departing = try lab.addNode()
        defer { _ = try? lab.removeNode(departing) }
        try lab.waitReady()
        let slice = try lab.slice(of: departing)
        let mac = try lab.vtepMAC(of: departing)
        for peer in Lab.nodes {
            try #require(try lab.route(on: peer, to: slice) != nil, "\(peer) learned \(departing)")
        }

        // Its agent gone but its Node still in the API: the peers keep it.
        try lab.stopAgent(departing)
        #expect(try holds(for: lab.resyncInterval * 2 + .seconds(1)) {
            try Lab.nodes.allSatisfy { try lab.route(on: $0, to: slice) != nil }
        }, "peers keep \(departing) while its Node exists")

        try lab.removeNode(departing)
        #expect(throws: (any Error).self, "the API server no longer has \(departing)") { try lab.kubeNode(departing) }
        for peer in Lab.nodes {
            #expect(try eventually(within: .seconds(20)) { try lab.route(on: peer, to: slice) == nil },
                    "\(peer) still routes to \(departing)'s \(slice)")
            let withdrawn = try eventually(within: .seconds(10)) {
                let fdb = try lab.exec(peer, ["bridge", "fdb", "show", "dev", "trellis.vxlan"])
                let neighbours = try lab.exec(peer, ["ip", "neigh", "show", "dev", "trellis.vxlan"])
                return !fdb.contains(mac) && !neighbours.contains(mac)
            }
            #expect(withdrawn, "\(peer) still has VXLAN entries for \(departing)'s VTEP \(mac)")
        }
    }
}
