import NetworkModel
import Netlink
import Overlay
import Testing

/// A writer whose kernel keeps no nexthop objects (as before Linux 5.3); the writes go through.
final class NoNexthopsWriter: DatapathWriter {
    let handle: NetlinkHandle
    init(_ handle: NetlinkHandle) { self.handle = handle }
    func write(_ operations: [DatapathOperation]) throws -> [DatapathFailure] {
        #expect(!operations.contains { if case .addNexthop = $0 { true } else { false } })
        return try handle.write(operations)
    }
    func supportsNexthops() throws -> Bool { false }
}

@Suite("Reconciler with nexthop objects (kernel)", .serialized)
struct NexthopKernelTests {
    static let peers = [Fixture.node(2), Fixture.node(3), Fixture.node(4)]

    /// Each route refers to a nexthop with proto 126 and an id in the agent's range that holds
    /// the route's gateway on trellis.vxlan, onlink; there are no other nexthops of ours.
    func expectNexthopShape(_ node: KernelNode, _ peers: [ClusterNode]) throws {
        #expect(try node.trellisRoutes() == Set(peers.map { vxlanLines($0).route }))
        let ids = try node.trellisRouteNexthopIDs()
        let range = node.config(.vxlan).nexthopIDs
        var expected: Set<String> = []
        for peer in peers {
            let cidr = peer.podCIDRs[0]
            let id = try #require(ids["\(cidr)"] ?? nil, "route \(cidr) has no nhid")
            #expect(range.contains(UInt32(id)))
            expected.insert("id \(id) via \(cidr.address) dev trellis.vxlan onlink")
        }
        #expect(try node.trellisNexthops() == expected)
    }

    @Test("vxlan mode: every route refers to a nexthop object of its own; the shape is reported")
    func created() throws {
        try KernelNode.with { node throws in
            let reconciler = node.reconciler(.vxlan)
            #expect(try reconciler.reconcile(peers: [Fixture.local] + Self.peers).isConverged)
            #expect(reconciler.routeShape == .nexthop)
            try expectNexthopShape(node, Self.peers)
        }
    }

    @Test("hybrid mode: the direct route keeps its gateway, the vxlan route refers to a nexthop")
    func hybrid() throws {
        try KernelNode.with { node throws in
            let far = Fixture.node(3, publicIP: "198.19.0.3")
            try node.reconciler(.hybrid).reconcile(peers: [Fixture.node(2), far])
            let ids = try node.trellisRouteNexthopIDs()
            #expect(ids["10.244.2.0/24"] == .some(nil))
            #expect(ids["10.244.3.0/24"] != nil && ids["10.244.3.0/24"]! != nil)
            #expect(try node.trellisNexthops().count == 1)
        }
    }

    @Test("a restarted reconciler adopts the nexthops with zero writes, on its first pass and on resync")
    func adoptedOnRestart() throws {
        try KernelNode.with { node throws in
            try node.reconciler(.vxlan).reconcile(peers: Self.peers)
            let before = try node.trellisNexthops()
            let writer = CountingWriter(node.handle)
            let restarted = node.reconciler(.vxlan, writer: writer)
            #expect(try restarted.reconcile(peers: Self.peers).observedKernel)
            #expect(try restarted.resync().applied == 0)
            #expect(writer.writes == 0)
            #expect(try node.trellisNexthops() == before)
        }
    }

    @Test("`ip nexthop flush` takes the routes with it; resync puts both back")
    func repairedAfterFlush() throws {
        try KernelNode.with { node throws in
            let reconciler = node.reconciler(.vxlan)
            try reconciler.reconcile(peers: Self.peers)
            try node.namespace.exec(["ip", "nexthop", "flush"])
            #expect(try node.trellisRoutes().isEmpty)
            let summary = try reconciler.resync()
            #expect(summary.isConverged && summary.applied == 2 * Self.peers.count)
            try expectNexthopShape(node, Self.peers)
        }
    }

    @Test("a route deleted by hand is restored by resync, referring to its nexthop, which is left alone")
    func repairedAfterRouteDeleted() throws {
        try KernelNode.with { node throws in
            let reconciler = node.reconciler(.vxlan)
            try reconciler.reconcile(peers: Self.peers)
            let before = try node.trellisNexthops()
            try node.namespace.exec(["ip", "route", "del", "10.244.3.0/24"])
            #expect(try reconciler.drift().map(\.kind) == ["addRoute"])
            #expect(try reconciler.resync().applied == 1)
            #expect(try node.trellisNexthops() == before)
            try expectNexthopShape(node, Self.peers)
        }
    }

    @Test("a withdrawn peer's route goes before its nexthop; the other peers' nexthop ids stay")
    func withdrawnPerPeer() throws {
        try KernelNode.with { node throws in
            let reconciler = node.reconciler(.vxlan)
            try reconciler.reconcile(peers: Self.peers)
            let ids = try node.trellisRouteNexthopIDs()
            let gone = PeerChange(name: "node-3", node: nil)
            let summary = try reconciler.reconcile(changes: [gone])
            #expect(summary.applied == 4)
            let kept = [Fixture.node(2), Fixture.node(4)]
            try expectNexthopShape(node, kept)
            #expect(try node.trellisRouteNexthopIDs() == ids.filter { $0.key != "10.244.3.0/24" })
        }
    }

    @Test("a kernel refusing nexthops (through the writer) gets plain onlink routes, reported as such")
    func refusingKernelFallsBack() throws {
        try KernelNode.with { node throws in
            let reconciler = node.reconciler(.vxlan, writer: NoNexthopsWriter(node.handle))
            let summary = try reconciler.reconcile(peers: Self.peers)
            #expect(summary.isConverged && summary.applied == 3 * Self.peers.count)
            #expect(reconciler.routeShape == .onlink)
            #expect(try node.trellisRoutes() == Set(Self.peers.map { vxlanLines($0).route }))
            #expect(try node.trellisRouteNexthopIDs().values.allSatisfy { $0 == nil })
            #expect(try node.trellisNexthops().isEmpty)
            #expect(try reconciler.resync().applied == 0)
        }
    }
}
