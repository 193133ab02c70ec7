import Foundation
import IPAM
import Testing
import TestSupport

/// The cluster end to end, in every datapath mode: three nodes in the lab (`lab/lab`), each
/// running the real `trellisd` against a real etcd, two pods per node wired by the real `trellis`.
/// In hybrid mode node-3 sits behind the router, so it must be reached over VXLAN while node-1 and
/// node-2 route to each other directly. One lab per mode is shared by the tests (agents resync
/// every 2 s); each test leaves its lab as it found it.
@Suite(.serialized, .sharedLabs, .timeLimit(.minutes(5)))
struct LabTests {
    static let modes = NodeInfo.Mode.allCases

    @Test(arguments: modes)
    func everyPodReachesEveryOtherPodOnEveryNode(mode: NodeInfo.Mode) throws {
        let lab = try sharedLab(mode)
        var last = ""
        let reached = try eventually(within: .seconds(20)) {
            let mesh = try lab.mesh()
            last = mesh.output
            return mesh.succeeded
        }
        #expect(reached, "pods that cannot reach each other:\n\(last)")
    }

    @Test(arguments: modes)
    func peerSlicesAreRoutedAsTheModeSays(mode: NodeInfo.Mode) throws {
        let lab = try sharedLab(mode)
        for node in Lab.nodes {
            let segment = try lab.info(node)["segment"]
            for peer in Lab.nodes where peer != node {
                let info = try lab.info(peer)
                let slice = try #require(info["slice"])
                let route = try #require(try lab.route(on: node, to: slice), "\(node) has no route to \(peer)'s \(slice)")
                let overlay = mode == .vxlan || (mode == .hybrid && info["segment"] != segment)
                if overlay {
                    let vtepIP = String(slice.prefix { $0 != "/" })
                    #expect(route == LabRoute(["dst": slice, "gateway": vtepIP, "dev": "trellis.vxlan", "flags": ["onlink"]]),
                            "\(node) reaches \(peer) over VXLAN: \(route)")
                    let shown = try lab.json(node, ["ip", "-j", "route", "show", "exact", slice]).first
                    #expect(shown?["nhid"] is Int, "\(node): the route to \(slice) refers to a nexthop object: \(shown ?? [:])")
                    try expectVXLANEntries(lab, on: node, toward: peer, vtepIP: vtepIP, publicIP: info["address"] ?? "")
                } else {
                    #expect(route == LabRoute(["dst": slice, "gateway": info["address"] ?? "", "dev": "eth0"]),
                            "\(node) routes to \(peer) directly: \(route)")
                }
            }
        }
    }

    /// The permanent neighbour (VTEP IP -> VTEP MAC) and FDB entry (VTEP MAC -> underlay address)
    /// that the onlink route to `peer` needs.
    private func expectVXLANEntries(_ lab: Lab, on node: String, toward peer: String, vtepIP: String, publicIP: String) throws {
        let mac = try lab.vtepMAC(of: peer)
        let neighbours = try lab.json(node, ["ip", "-j", "neigh", "show", "dev", "trellis.vxlan", "to", vtepIP])
        let neighbourMAC = neighbours.first?["lladdr"] as? String
        let states = neighbours.first?["state"] as? [String] ?? []
        #expect(neighbourMAC == mac && states.contains("PERMANENT"), "\(node): neighbour \(vtepIP) -> \(mac): \(neighbours)")
        let fdb = try lab.json(node, ["bridge", "-j", "fdb", "show", "dev", "trellis.vxlan"])
        let forwarded = fdb.contains { $0["mac"] as? String == mac && $0["dst"] as? String == publicIP }
        #expect(forwarded, "\(node): FDB \(mac) -> \(publicIP): \(fdb)")
    }

    @Test(arguments: modes)
    func restartedAgentKeepsItsSliceAndNoNodeDeletesARoute(mode: NodeInfo.Mode) throws {
        let lab = try sharedLab(mode)
        let restarted = "node-2"
        let slice = try lab.slice(of: restarted)
        let routesBefore = try Lab.nodes.map { try lab.peerRoutes(on: $0) }
        let monitors = try Lab.nodes.map { try LabKernelMonitor(lab: lab, node: $0) }

        try lab.restartAgent(restarted)
        try lab.waitReady([restarted])
        // Deletions may come late (a first resync): watch through two resync periods.
        let quiet = holds(for: lab.resyncInterval * 2 + .seconds(1)) { monitors.allSatisfy { $0.trellisDeletions.isEmpty } }
        for monitor in monitors {
            _ = monitor.stop()
            #expect(monitor.trellisDeletions.isEmpty, "\(monitor.node) saw deletions while \(restarted)'s agent restarted: \(monitor.trellisDeletions)")
        }
        #expect(quiet)
        #expect(try lab.slice(of: restarted) == slice, "a restarted agent gets its slice back")
        #expect(try Lab.nodes.map { try lab.peerRoutes(on: $0) } == routesBefore)
        let record = try lab.lab(["etcdctl", "get", "--print-value-only", "/trellis/v1/nodes/\(restarted)"])
        #expect(record.contains(slice), "the node's record still holds \(slice): \(record)")
    }

    @Test(arguments: modes)
    func departedNodeIsWithdrawnFromEveryPeer(mode: NodeInfo.Mode) throws {
        let lab = try sharedLab(mode)
        // In hybrid mode the newcomer sits behind the router, so its VXLAN entries are withdrawn too.
        let departing = try lab.addNode(far: mode == .hybrid)
        defer { _ = try? lab.removeNode(departing) }
        try lab.waitReady()
        let slice = try lab.slice(of: departing)
        let mac: String? = mode == .direct ? nil : try lab.vtepMAC(of: departing)
        for peer in Lab.nodes {
            try #require(try lab.route(on: peer, to: slice) != nil, "\(peer) learned \(departing)")
        }

        try lab.removeNode(departing)
        for peer in Lab.nodes {
            #expect(try eventually(within: .seconds(20)) { try lab.route(on: peer, to: slice) == nil },
                    "\(peer) still routes to \(departing)'s \(slice)")
            if let mac {
                let withdrawn = try eventually(within: .seconds(10)) {
                    let fdb = try lab.exec(peer, ["bridge", "fdb", "show", "dev", "trellis.vxlan"])
                    let neighbours = try lab.exec(peer, ["ip", "neigh", "show", "dev", "trellis.vxlan"])
                    return !fdb.contains(mac) && !neighbours.contains(mac)
                }
                #expect(withdrawn, "\(peer) still has VXLAN entries for \(departing)'s VTEP \(mac)")
            }
        }
    }

    @Test(arguments: modes)
    func routeDeletedByHandIsRestored(mode: NodeInfo.Mode) throws {
        let lab = try sharedLab(mode)
        let slice = try lab.slice(of: "node-3")
        let route = try #require(try lab.route(on: "node-1", to: slice))

        try lab.exec("node-1", ["ip", "route", "del", slice])
        #expect(try lab.route(on: "node-1", to: slice) == nil)
        #expect(try eventually(within: lab.resyncInterval * 5) { try lab.route(on: "node-1", to: slice) == route },
                "the resync restores \(route)")
    }

    @Test(arguments: modes)
    func etcdOutageKeepsRoutesAndAgentsRecoverAndLearnANewNode(mode: NodeInfo.Mode) throws {
        let lab = try sharedLab(mode)
        let routes = try Lab.nodes.map { try lab.peerRoutes(on: $0) }

        try lab.stopEtcd()
        defer { _ = try? lab.startEtcd() }
        #expect(eventually(within: .seconds(20)) { lab.readyz("node-1") == 503 },
                "an agent whose datastore is away reports itself not ready")
        #expect(holds(for: lab.resyncInterval * 3) { lab.readyz("node-1") == 503 },
                "resyncs during the outage do not make the agent ready")
        #expect(try holds(for: lab.resyncInterval * 2 + .seconds(1)) { try Lab.nodes.map { try lab.peerRoutes(on: $0) } == routes },
                "routes stay while etcd is down")
        #expect(try lab.mesh().succeeded, "pods keep talking while etcd is down")

        try lab.startEtcd()
        for node in Lab.nodes {
            #expect(eventually(within: .seconds(30)) { lab.readyz(node) == 200 }, "\(node) is ready again")
        }
        let newcomer = try lab.addNode()
        defer { _ = try? lab.removeNode(newcomer) }
        #expect(throws: Never.self, "every node learns \(newcomer) and it learns them") { try lab.waitReady(timeout: .seconds(30)) }
    }
}
