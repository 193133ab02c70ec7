import NetworkModel
import Netlink
@testable import Overlay
import Testing

@Suite("Planner.plan")
struct PlannerTests {
    private func plan(_ mode: ClusterNode.Backend, from old: [ClusterNode], to new: [ClusterNode]) -> [DatapathOperation] {
        Planner.plan(desired: Fixture.desired(mode, new).datapath, observed: Fixture.desired(mode, old).datapath)
    }

    private func kinds(_ operations: [DatapathOperation]) -> [String] { operations.map(\.kind) }

    @Test("adding peers: every neighbour, then every FDB entry, then the routes that use them")
    func addOrdering() {
        let operations = plan(.vxlan, from: [], to: [Fixture.node(2), Fixture.node(3)])
        #expect(kinds(operations) == ["replaceNeighbor", "replaceNeighbor", "replaceFDB", "replaceFDB", "addRoute", "addRoute"])
    }

    /// `plan` with both states in the nexthop shape, ids from one allocation.
    private func nexthopPlan(from old: [ClusterNode], to new: [ClusterNode]) -> [DatapathOperation] {
        var ids = NexthopIDs(range: OverlayConfig.nexthopIDs(for: .trellis))
        return Planner.plan(desired: Fixture.desired(.vxlan, new).datapath.movingGateways(into: &ids, protocol: .trellis),
                            observed: Fixture.desired(.vxlan, old).datapath.movingGateways(into: &ids, protocol: .trellis))
    }

    @Test("nexthop shape: a nexthop goes in before the route that refers to it, and out after it")
    func nexthopOrdering() {
        #expect(kinds(nexthopPlan(from: [], to: [Fixture.node(2)])) == ["replaceNeighbor", "replaceFDB", "addNexthop", "addRoute"])
        #expect(kinds(nexthopPlan(from: [Fixture.node(2)], to: [])) == ["deleteRoute", "deleteNexthop", "deleteNeighbor", "deleteFDB"])
        #expect(nexthopPlan(from: [Fixture.node(2)], to: [Fixture.node(2)]).isEmpty)
    }

    @Test("nothing changed: an empty plan")
    func noChange() {
        let peers = [Fixture.node(2), Fixture.node(3, publicIP: "198.19.0.3")]
        #expect(plan(.hybrid, from: peers, to: peers).isEmpty)
    }

    @Test("a removed peer: its route first, then its neighbour, then its FDB entry; nothing else")
    func removeOrdering() {
        let gone = Fixture.node(3)
        let operations = plan(.vxlan, from: [Fixture.node(2), gone], to: [Fixture.node(2)])
        let entries = Fixture.vxlanEntries(gone)
        #expect(operations == [.deleteRoute(entries.route), .deleteNeighbor(entries.neighbor), .deleteFDB(entries.fdb)])
    }

    @Test("a peer's new MAC: neighbour replaced, new FDB entry, the old MAC's FDB entry removed, route kept")
    func newMAC() {
        let old = Fixture.node(2)
        let new = Fixture.node(2, vtepMAC: "02:00:00:00:00:02")
        let operations = plan(.vxlan, from: [old], to: [new])
        let before = Fixture.vxlanEntries(old)
        let after = Fixture.vxlanEntries(new)
        #expect(operations == [.replaceNeighbor(after.neighbor), .replaceFDB(after.fdb), .deleteFDB(before.fdb)])
    }

    @Test("a peer's new public IP: its FDB entry replaced in place, no stale entry, nothing else")
    func newPublicIP() {
        let old = Fixture.node(2)
        let new = Fixture.node(2, publicIP: "198.19.0.2")
        let operations = plan(.vxlan, from: [old], to: [new])
        #expect(operations == [.replaceFDB(Fixture.vxlanEntries(new).fdb)])
    }

    @Test("a peer's new slice: new neighbour before the new route; old route before the old neighbour")
    func newSlice() {
        let old = Fixture.node(2)
        let new = Fixture.node(2, podCIDRs: ["10.244.20.0/24"])
        let operations = plan(.vxlan, from: [old], to: [new])
        let before = Fixture.vxlanEntries(old)
        let after = Fixture.vxlanEntries(new)
        #expect(operations == [.replaceNeighbor(after.neighbor), .addRoute(after.route),
                               .deleteRoute(before.route), .deleteNeighbor(before.neighbor)])
    }

    @Test("hybrid peer leaving the underlay subnet: overlay entries first, then its route replaced, never deleted")
    func hybridPeerMovesOffSubnet() {
        let old = Fixture.node(2)
        let new = Fixture.node(2, publicIP: "198.19.0.2")
        let operations = plan(.hybrid, from: [old], to: [new])
        let after = Fixture.vxlanEntries(new)
        #expect(operations == [.replaceNeighbor(after.neighbor), .replaceFDB(after.fdb), .replaceRoute(after.route)])
    }

    @Test("hybrid peer joining the underlay subnet: route replaced first, then its overlay entries removed")
    func hybridPeerMovesOnSubnet() {
        let old = Fixture.node(2, publicIP: "198.19.0.2")
        let new = Fixture.node(2)
        let operations = plan(.hybrid, from: [old], to: [new])
        let before = Fixture.vxlanEntries(old)
        #expect(operations == [.replaceRoute(Fixture.directRoute(new)), .deleteNeighbor(before.neighbor), .deleteFDB(before.fdb)])
    }

    @Test("direct mode, new public IP: the route is replaced in place")
    func directNewPublicIP() {
        let new = Fixture.node(2, publicIP: "198.18.0.99")
        #expect(plan(.direct, from: [Fixture.node(2)], to: [new]) == [.replaceRoute(Fixture.directRoute(new))])
    }

    @Test("observed entries no longer desired are all deleted, adds still come first")
    func mixed() {
        let operations = plan(.vxlan, from: [Fixture.node(2), Fixture.node(3)], to: [Fixture.node(4)])
        #expect(kinds(operations) == ["replaceNeighbor", "replaceFDB", "addRoute", "deleteRoute", "deleteRoute",
                                      "deleteNeighbor", "deleteNeighbor", "deleteFDB", "deleteFDB"])
    }

    @Test("equal inputs give equal plans (sorted within each group)")
    func deterministic() {
        let peers = (2...40).map { Fixture.node($0) }
        let first = plan(.vxlan, from: [], to: peers)
        #expect(first == plan(.vxlan, from: [], to: peers.reversed()))
        let routes = first.compactMap { if case .addRoute(let route) = $0 { route.destination } else { nil } }
        #expect(routes == peers.map { $0.podCIDRs[0] })
    }
}

@Suite("DatapathState.afterApplying")
struct AfterApplyingTests {
    @Test("no failures: the kernel holds the desired state")
    func allApplied() {
        let desired = Fixture.desired(.vxlan, [Fixture.node(2)]).datapath
        #expect(DatapathState.empty.afterApplying(desired: desired, failed: []) == desired)
    }

    @Test("a refused replace leaves the old entry, a refused add leaves none, a refused delete leaves the entry")
    func refusals() {
        let old = Fixture.desired(.vxlan, [Fixture.node(2), Fixture.node(3)]).datapath
        let moved = Fixture.node(2, vtepMAC: "02:00:00:00:00:02")
        let added = Fixture.node(4)
        let desired = Fixture.desired(.vxlan, [moved, added]).datapath
        let gone = Fixture.vxlanEntries(Fixture.node(3))
        let failed: [DatapathOperation] = [
            .replaceNeighbor(Fixture.vxlanEntries(moved).neighbor),
            .addRoute(Fixture.vxlanEntries(added).route),
            .deleteRoute(gone.route),
        ]
        let state = old.afterApplying(desired: desired, failed: failed)
        #expect(state.neighbors.contains(Fixture.vxlanEntries(Fixture.node(2)).neighbor))
        #expect(!state.neighbors.contains(Fixture.vxlanEntries(moved).neighbor))
        #expect(!state.routes.contains(Fixture.vxlanEntries(added).route))
        #expect(state.routes.contains(gone.route))
        // The next plan retries exactly the refused writes.
        #expect(Set(Planner.plan(desired: desired, observed: state)) == Set(failed))
    }

    @Test("a state split by another's keys: a changed entry goes with its key, the rest stays; nothing split from nothing")
    func partitionedByKeys() {
        let kept = Fixture.desired(.vxlan, [Fixture.node(2), Fixture.node(3)]).datapath
        let wanted = Fixture.desired(.vxlan, [Fixture.node(3, publicIP: "198.19.0.3"), Fixture.node(4)]).datapath
        let (shared, rest) = kept.partitioned(byKeysOf: wanted)
        #expect(shared == Fixture.desired(.vxlan, [Fixture.node(3)]).datapath)
        #expect(rest == Fixture.desired(.vxlan, [Fixture.node(2)]).datapath)
        #expect(shared.union(rest) == kept)
        #expect(DatapathState.empty.partitioned(byKeysOf: wanted) == (.empty, .empty))
    }
}
