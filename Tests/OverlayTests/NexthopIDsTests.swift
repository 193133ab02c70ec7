import NetworkModel
import Netlink
@testable import Overlay
import Testing

@Suite("NexthopIDs")
struct NexthopIDsTests {
    static let range = OverlayConfig.nexthopIDs(for: .trellis)

    static func target(_ gateway: String, link: Int32 = Fixture.vxlanIndex) -> NexthopIDs.Target {
        NexthopIDs.Target(gateway: Fixture.address(gateway), linkIndex: link)
    }

    @Test("the range is the one whose top byte is the route protocol, without 0")
    func range() {
        #expect(Self.range == 0x7e00_0001...0x7eff_ffff)
    }

    @Test("a gateway keeps its id; the same gateway gets the same id in a fresh allocation; ids are distinct")
    func stable() {
        var ids = NexthopIDs(range: Self.range)
        var fresh = NexthopIDs(range: Self.range)
        let first = ids.id(for: Self.target("10.244.2.0"))
        #expect(ids.id(for: Self.target("10.244.2.0")) == first)
        #expect(fresh.id(for: Self.target("10.244.2.0")) == first)
        let all = (0..<500).map { ids.id(for: Self.target("10.\($0 / 256).\($0 % 256).0")) }
        #expect(Set(all).count == 500 && all.allSatisfy(Self.range.contains))
    }

    @Test("a full tiny range probes to the next free id and wraps; a released id is handed out again")
    func probingAndRelease() {
        var ids = NexthopIDs(range: 10...12)
        let taken = ["10.0.0.1", "10.0.0.2", "10.0.0.3"].map { ids.id(for: Self.target($0)) }
        #expect(Set(taken) == [10, 11, 12])
        ids.release(Self.target("10.0.0.2"))
        #expect(ids.id(for: Self.target("10.0.0.9")) == taken[1])
    }

    @Test("adopting the kernel's nexthop takes over its id, unless the id or the gateway is already held or out of range")
    func adopt() {
        var ids = NexthopIDs(range: Self.range)
        let gateway = Fixture.address("10.244.7.0")
        ids.adopt(Nexthop(id: 0x7e00_0042, gateway: gateway, linkIndex: Fixture.vxlanIndex, onLink: true, protocol: .trellis))
        #expect(ids.id(for: Self.target("10.244.7.0")) == 0x7e00_0042)
        ids.adopt(Nexthop(id: 0x7e00_0043, gateway: gateway, linkIndex: Fixture.vxlanIndex, onLink: true, protocol: .trellis))
        ids.adopt(Nexthop(id: 0x7e00_0042, gateway: Fixture.address("10.244.8.0"), linkIndex: Fixture.vxlanIndex))
        ids.adopt(Nexthop(id: 7, gateway: Fixture.address("10.244.9.0"), linkIndex: Fixture.vxlanIndex))
        #expect(ids.id(for: Self.target("10.244.7.0")) == 0x7e00_0042)
        #expect(ids.id(for: Self.target("10.244.8.0")) != 0x7e00_0042)
        #expect(Self.range.contains(ids.id(for: Self.target("10.244.9.0"))))
    }

    @Test("the nexthop shape moves each onlink route's gateway into a nexthop; direct routes are untouched")
    func movingGateways() {
        let vxlanPeer = Fixture.node(3)
        let direct = Fixture.directRoute(Fixture.node(2))
        let state = DatapathState(routes: [Fixture.vxlanEntries(vxlanPeer).route, direct])
        var ids = NexthopIDs(range: Self.range)
        let shaped = state.movingGateways(into: &ids, protocol: .trellis)
        let id = ids.id(for: Self.target("10.244.3.0"))
        #expect(shaped.nexthops == [Nexthop(id: id, gateway: Fixture.address("10.244.3.0"), linkIndex: Fixture.vxlanIndex,
                                            onLink: true, protocol: .trellis)])
        var expected = Fixture.vxlanEntries(vxlanPeer).route
        expected.nexthopID = id
        #expect(shaped.routes == [expected, direct])
    }
}
