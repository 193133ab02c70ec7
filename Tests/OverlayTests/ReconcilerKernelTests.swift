import NetworkModel
import Netlink
import Overlay
import Testing

@Suite("Reconciler (kernel)", .serialized)
struct ReconcilerKernelTests {
    @Test("vxlan mode: exactly each peer's route (proto 126), permanent neighbour and FDB entry")
    func vxlanMode() throws {
        try KernelNode.with { node throws in
            let peers = [Fixture.local, Fixture.node(2), Fixture.node(3), Fixture.node(4)]
            let summary = try node.reconciler(.vxlan).reconcile(peers: peers)
            #expect(summary.isConverged)
            #expect(summary.applied == 12)  // a nexthop object per route too
            let lines = peers.dropFirst().map(vxlanLines)
            #expect(try node.trellisRoutes() == Set(lines.map(\.route)))
            #expect(try node.vxlanNeighbors() == Set(lines.map(\.neighbor)))
            #expect(try node.vxlanFDB() == Set(lines.map(\.fdb)))
        }
    }

    @Test("direct mode: exactly one route per peer via its underlay address on under0")
    func directMode() throws {
        try KernelNode.with { node throws in
            let summary = try node.reconciler(.direct).reconcile(peers: [Fixture.node(2), Fixture.node(3)])
            #expect(summary.isConverged)
            #expect(try node.trellisRoutes() == ["10.244.2.0/24 via 198.18.0.2 dev under0", "10.244.3.0/24 via 198.18.0.3 dev under0"])
            #expect(try node.handle.findLink(named: "trellis.vxlan") == nil)
        }
    }

    @Test("hybrid mode: direct route for the peer on the subnet, overlay entries for the one off it")
    func hybridMode() throws {
        try KernelNode.with { node throws in
            let far = Fixture.node(3, publicIP: "198.19.0.3")
            try node.reconciler(.hybrid).reconcile(peers: [Fixture.node(2), far])
            #expect(try node.trellisRoutes() == ["10.244.2.0/24 via 198.18.0.2 dev under0", vxlanLines(far).route])
            #expect(try node.vxlanFDB() == [vxlanLines(far).fdb])
        }
    }

    @Test("dual stack in vxlan mode lands IPv6 too, and a restarted reconciler finds nothing to write")
    func dualStack() throws {
        try KernelNode.with { node throws in
            let peer = Fixture.node(2, podCIDRs: ["10.244.2.0/24", "fd00:10:244:2::/64"])
            #expect(try node.reconciler(.vxlan).reconcile(peers: [peer]).isConverged)
            #expect(try node.trellisRoutes().contains("fd00:10:244:2::/64 via fd00:10:244:2:: dev trellis.vxlan onlink"))
            let writer = CountingWriter(node.handle)
            #expect(try node.reconciler(.vxlan, writer: writer).reconcile(peers: [peer]).applied == 0)
            #expect(writer.writes == 0)
        }
    }

    @Test("a route deleted by hand is not seen by an event, and restored by resync")
    func resyncRestoresRoute() throws {
        try KernelNode.with { node throws in
            let reconciler = node.reconciler(.vxlan)
            let peers = [Fixture.node(2), Fixture.node(3)]
            try reconciler.reconcile(peers: peers)
            try node.namespace.exec(["ip", "route", "del", "10.244.2.0/24"])
            #expect(try reconciler.reconcile(peers: peers).applied == 0)  // events trust the cache
            #expect(try reconciler.drift().map(\.kind) == ["addRoute"])
            let summary = try reconciler.resync()
            #expect(summary.observedKernel && summary.applied == 1)
            #expect(try node.trellisRoutes() == Set(peers.map { vxlanLines($0).route }))
        }
    }

    @Test("foreign routes and neighbours are never touched, also when every peer is withdrawn")
    func foreignEntriesUntouched() throws {
        try KernelNode.with { node throws in
            try node.namespace.exec(["ip", "-batch", "-"], input: """
                route add 192.0.2.0/24 via 198.18.0.9 proto static
                route add 198.51.100.0/24 via 198.18.0.9
                neigh add 198.18.0.77 lladdr 02:00:00:00:00:77 dev under0 nud permanent
                """)
            let reconciler = node.reconciler(.vxlan)
            try reconciler.reconcile(peers: [Fixture.node(2)])
            try reconciler.reconcile(peers: [])
            try reconciler.resync()
            #expect(try node.trellisRoutes().isEmpty)
            let routes = try node.namespace.json(["ip", "-j", "route", "show"]).compactMap { $0["dst"] as? String }
            #expect(routes.contains("192.0.2.0/24") && routes.contains("198.51.100.0/24"))
            let neighbors = try node.namespace.json(["ip", "-j", "neigh", "show", "dev", "under0"]).compactMap { $0["dst"] as? String }
            #expect(neighbors.contains("198.18.0.77"))
        }
    }

    @Test("a foreign route holding a peer's pod CIDR is not overwritten: the add fails with EEXIST, reported")
    func foreignRouteAtPeerCIDR() throws {
        try KernelNode.with { node throws in
            try node.namespace.exec(["ip", "route", "add", "10.244.2.0/24", "via", "198.18.0.9", "proto", "static"])
            let summary = try node.reconciler(.direct).reconcile(peers: [Fixture.node(2), Fixture.node(3)])
            #expect(summary.failures.map(\.operation.kind) == ["addRoute"])
            #expect(summary.failures.first?.error.isExists == true)
            let held = try node.namespace.json(["ip", "-j", "route", "show", "10.244.2.0/24"]).first
            #expect(held?["gateway"] as? String == "198.18.0.9")
            #expect(try node.trellisRoutes() == ["10.244.3.0/24 via 198.18.0.3 dev under0"])
        }
    }

    @Test("a fresh reconciler over a kernel that is already right makes zero writes")
    func restartMakesNoWrites() throws {
        try KernelNode.with { node throws in
            let peers = [Fixture.node(2), Fixture.node(3, publicIP: "198.19.0.3")]
            try node.reconciler(.hybrid).reconcile(peers: peers)
            let writer = CountingWriter(node.handle)
            let restarted = node.reconciler(.hybrid, writer: writer)
            let summary = try restarted.reconcile(peers: peers)
            #expect(summary.observedKernel)
            #expect(summary.applied == 0 && writer.writes == 0)
            #expect(try restarted.resync().applied == 0)
            #expect(writer.writes == 0)
        }
    }

    @Test("before its first peer list a reconciler withdraws nothing, also on resync")
    func noListNoWithdrawal() throws {
        try KernelNode.with { node throws in
            try node.reconciler(.vxlan).reconcile(peers: [Fixture.node(2)])
            let writer = CountingWriter(node.handle)
            let restarted = node.reconciler(.vxlan, writer: writer)
            #expect(try restarted.resync().applied == 0)
            #expect(writer.writes == 0)
            #expect(try node.trellisRoutes() == [vxlanLines(Fixture.node(2)).route])
        }
    }

    @Test("on a fresh node each page writes its own peers and reads the kernel once; the list's end writes only its rest")
    func listPagesOnFreshNode() throws {
        try KernelNode.with { node throws in
            let reconciler = node.reconciler(.vxlan)
            let first = try reconciler.reconcile(listPage: [listed(Fixture.node(2)), listed(Fixture.node(3))])
            #expect(first.observedKernel && first.applied == 8)  // neighbour, FDB entry, nexthop, route each
            #expect(reconciler.isReadingList)
            let second = try reconciler.reconcile(listPage: [listed(Fixture.node(4))])
            #expect(!second.observedKernel && second.applied == 4)
            let end = try reconciler.reconcile(changes: [listed(Fixture.node(5))])
            #expect(!end.observedKernel && end.applied == 4 && end.isConverged)
            #expect(!reconciler.isReadingList)
            let peers = (2...5).map { Fixture.node($0) }
            #expect(try node.trellisRoutes() == Set(peers.map { vxlanLines($0).route }))
            let writer = CountingWriter(node.handle)
            #expect(try node.reconciler(.vxlan, writer: writer).reconcile(peers: peers).applied == 0)
            #expect(writer.writes == 0)
        }
    }

    @Test("a page that moves an earlier page's peer replaces in place and deletes nothing until the list ends")
    func listPageMovesPeer() throws {
        try KernelNode.with { node throws in
            let reconciler = node.reconciler(.vxlan)
            try reconciler.reconcile(listPage: [listed(Fixture.node(2)), listed(Fixture.node(3))])
            let moved = Fixture.node(3, vtepMAC: "02:00:00:00:00:33")
            #expect(try reconciler.reconcile(listPage: [listed(moved)]).applied == 2)  // neighbour, new FDB entry
            #expect(try node.vxlanFDB() == Set([Fixture.node(2), Fixture.node(3), moved].map { vxlanLines($0).fdb }))
            // The kernel now holds more than the table: later pages wait for the list's end.
            #expect(try reconciler.reconcile(listPage: [listed(Fixture.node(4))]).applied == 0)
            let end = try reconciler.reconcile(changes: [])
            #expect(end.applied == 5 && end.isConverged)  // peer 4's four entries, the old FDB entry deleted
            let final = [Fixture.node(2), moved, Fixture.node(4)].map(vxlanLines)
            #expect(try node.trellisRoutes() == Set(final.map(\.route)))
            #expect(try node.vxlanNeighbors() == Set(final.map(\.neighbor)))
            #expect(try node.vxlanFDB() == Set(final.map(\.fdb)))
        }
    }

    @Test("over a kernel that already holds entries, pages write and withdraw nothing; the list's end converges once")
    func listPagesOverOldState() throws {
        try KernelNode.with { node throws in
            // What the previous run left: peers 2, 3 and 4.
            try node.reconciler(.vxlan).reconcile(peers: [Fixture.node(2), Fixture.node(3), Fixture.node(4)])
            let writer = CountingWriter(node.handle)
            let restarted = node.reconciler(.vxlan, writer: writer)
            let first = try restarted.reconcile(listPage: [listed(Fixture.node(2)), listed(Fixture.node(5))])
            #expect(first.observedKernel && first.applied == 0)
            let moved = Fixture.node(3, publicIP: "198.19.0.3")
            #expect(try restarted.reconcile(listPage: [listed(moved)]).applied == 0)
            #expect(try restarted.resync().applied == 0)
            #expect(!(try restarted.drift().contains { $0.kind.hasPrefix("delete") }), "peer 4 is no drift before the list ends")
            #expect(try node.trellisRoutes() == Set([2, 3, 4].map { vxlanLines(Fixture.node($0)).route }))
            #expect(writer.writes == 0)
            // The list ends without peer 4: peer 5 added, peer 3's FDB entry moved, peer 4 withdrawn.
            let end = try restarted.reconcile(changes: [])
            #expect(end.applied == 9 && end.isConverged)
            let final = [Fixture.node(2), moved, Fixture.node(5)].map(vxlanLines)
            #expect(try node.trellisRoutes() == Set(final.map(\.route)))
            #expect(try node.vxlanNeighbors() == Set(final.map(\.neighbor)))
            #expect(try node.vxlanFDB() == Set(final.map(\.fdb)))
            let writes = writer.writes
            #expect(try restarted.resync().applied == 0)
            #expect(writer.writes == writes)
        }
    }

    @Test("a peer's new MAC replaces its neighbour and FDB entry and removes the old FDB entry")
    func macChange() throws {
        try KernelNode.with { node throws in
            let reconciler = node.reconciler(.vxlan)
            try reconciler.reconcile(peers: [Fixture.node(2)])
            let moved = Fixture.node(2, vtepMAC: "02:00:00:00:00:22")
            let summary = try reconciler.reconcile(peers: [moved])
            #expect(summary.applied == 3)
            #expect(try node.vxlanNeighbors() == [vxlanLines(moved).neighbor])
            #expect(try node.vxlanFDB() == [vxlanLines(moved).fdb])
        }
    }

    @Test("a peer's new public IP changes its FDB destination in place, leaving no stale entry")
    func publicIPChange() throws {
        try KernelNode.with { node throws in
            let reconciler = node.reconciler(.vxlan)
            try reconciler.reconcile(peers: [Fixture.node(2)])
            let moved = Fixture.node(2, publicIP: "198.19.0.2")
            #expect(try reconciler.reconcile(peers: [moved]).applied == 1)
            #expect(try node.vxlanFDB() == [vxlanLines(moved).fdb])
        }
    }

    @Test("a removed peer's route, neighbour and FDB entry are deleted")
    func peerRemoved() throws {
        try KernelNode.with { node throws in
            let reconciler = node.reconciler(.vxlan)
            try reconciler.reconcile(peers: [Fixture.node(2), Fixture.node(3)])
            #expect(try reconciler.reconcile(peers: [Fixture.node(3)]).applied == 4)
            let kept = vxlanLines(Fixture.node(3))
            #expect(try node.trellisRoutes() == [kept.route])
            #expect(try node.vxlanNeighbors() == [kept.neighbor])
            #expect(try node.vxlanFDB() == [kept.fdb])
        }
    }

    @Test("switching from vxlan to direct mode removes the overlay entries and keeps the device")
    func vxlanToDirect() throws {
        try KernelNode.with { node throws in
            try node.reconciler(.vxlan).reconcile(peers: [Fixture.node(2)])
            let summary = try node.reconciler(.direct).reconcile(peers: [Fixture.node(2)])
            #expect(summary.isConverged)
            #expect(try node.trellisRoutes() == ["10.244.2.0/24 via 198.18.0.2 dev under0"])
            #expect(try node.vxlanNeighbors().isEmpty)
            #expect(try node.vxlanFDB().isEmpty)
            #expect(try node.handle.findLink(named: "trellis.vxlan") != nil)
        }
    }
}

/// `node` as a list has it.
private func listed(_ node: ClusterNode) -> PeerChange {
    PeerChange(name: node.name, node: node)
}
