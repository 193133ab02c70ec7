import NetworkModel
import Netlink
import Overlay
import Testing

@Suite("DesiredState.compute")
struct DesiredStateTests {
    @Test("vxlan mode: per peer an onlink route via its VTEP, a permanent neighbour and one FDB entry")
    func vxlanMode() {
        let peers = [Fixture.local, Fixture.node(2), Fixture.node(3)]
        let desired = Fixture.desired(.vxlan, peers)
        let two = Fixture.vxlanEntries(peers[1])
        let three = Fixture.vxlanEntries(peers[2])
        #expect(desired.datapath.routes == [two.route, three.route])
        #expect(desired.datapath.neighbors == [two.neighbor, three.neighbor])
        #expect(desired.datapath.fdbEntries == [two.fdb, three.fdb])
        #expect(desired.skipped == [SkippedPeer(name: "node-1", reason: .localNode)])
        // The design's words: 10.244.2.0/24 via 10.244.2.0 dev trellis.vxlan onlink.
        #expect(two.route.gateway == Fixture.address("10.244.2.0"))
        #expect(two.fdb.destination == Fixture.address("198.18.0.2"))
    }

    @Test("direct mode: per peer one route via its underlay address on the underlay, nothing else")
    func directMode() {
        let peers = [Fixture.node(2), Fixture.node(3)]
        let desired = Fixture.desired(.direct, peers)
        #expect(desired.datapath.routes == Set(peers.map(Fixture.directRoute)))
        #expect(desired.datapath.neighbors.isEmpty)
        #expect(desired.datapath.fdbEntries.isEmpty)
        #expect(desired.skipped.isEmpty)
        #expect(Fixture.directRoute(peers[0]).onLink == false)
    }

    @Test("hybrid mode: direct for a peer on the underlay's subnet, vxlan for one off it")
    func hybridMode() {
        let near = Fixture.node(2)  // 198.18.0.2, inside 198.18.0.1/24
        let far = Fixture.node(3, publicIP: "198.19.0.3")
        let desired = Fixture.desired(.hybrid, [near, far])
        let farEntries = Fixture.vxlanEntries(far)
        #expect(desired.datapath.routes == [Fixture.directRoute(near), farEntries.route])
        #expect(desired.datapath.neighbors == [farEntries.neighbor])
        #expect(desired.datapath.fdbEntries == [farEntries.fdb])
    }

    @Test("hybrid mode: a peer on the subnet needs no VTEP MAC")
    func hybridDirectPeerWithoutMAC() {
        let near = Fixture.node(2, vtepMAC: .some(nil))
        let desired = Fixture.desired(.hybrid, [near])
        #expect(desired.datapath.routes == [Fixture.directRoute(near)])
        #expect(desired.skipped.isEmpty)
    }

    @Test("peers without a pod CIDR or a parsable MAC are skipped; the others are programmed")
    func skippedPeers() {
        let peers = [
            Fixture.node(2, podCIDRs: []),
            Fixture.node(3, vtepMAC: .some(nil)),
            Fixture.node(4, vtepMAC: "zz:00:00:00:00:01"),
            Fixture.node(5),
        ]
        let desired = Fixture.desired(.vxlan, peers)
        #expect(desired.skipped == [
            SkippedPeer(name: "node-2", reason: .noPodCIDR),
            SkippedPeer(name: "node-3", reason: .invalidVTEPMAC(nil)),
            SkippedPeer(name: "node-4", reason: .invalidVTEPMAC("zz:00:00:00:00:01")),
        ])
        #expect(desired.datapath.routes == [Fixture.vxlanEntries(peers[3]).route])
        #expect(desired.datapath.count == 3)
    }

    @Test("a peer claiming another's pod CIDR is skipped; the name sorting first wins, in any input order")
    func conflictingPodCIDR() {
        let holder = Fixture.node(2)
        let claimant = Fixture.node(5, podCIDRs: ["10.244.2.0/24"])
        for peers in [[holder, claimant], [claimant, holder]] {
            let desired = Fixture.desired(.vxlan, peers)
            #expect(desired.datapath.routes == [Fixture.vxlanEntries(holder).route])
            #expect(desired.datapath.fdbEntries == [Fixture.vxlanEntries(holder).fdb])
            #expect(desired.skipped == [SkippedPeer(name: "node-5", reason: .conflict(holder: "node-2"))])
        }
    }

    @Test("a peer publishing another's VTEP MAC is skipped")
    func conflictingMAC() {
        let holder = Fixture.node(2)
        let claimant = Fixture.node(3, vtepMAC: holder.vtepMAC)
        let desired = Fixture.desired(.vxlan, [claimant, holder])
        #expect(desired.skipped == [SkippedPeer(name: "node-3", reason: .conflict(holder: "node-2"))])
    }

    @Test("a pod CIDR overlapping this node's slice is left out, the peer's other CIDRs stay")
    func overlapsLocalSlice() {
        let peer = Fixture.node(2, podCIDRs: ["10.244.1.128/25", "10.244.2.0/24"])
        let desired = Fixture.desired(.direct, [peer])
        #expect(desired.datapath.routes.map(\.destination) == [Fixture.prefix("10.244.2.0/24")])
        #expect(desired.skipped == [SkippedPeer(name: "node-2", reason: .overlapsLocalSlice(Fixture.prefix("10.244.1.128/25")))])
    }

    @Test("direct mode, dual stack, a peer without an IPv6 underlay address: IPv4 routed directly, IPv6 over the overlay")
    func directIPv6FallsBackToTheOverlay() {
        var peer = Fixture.node(2, podCIDRs: ["10.244.2.0/24", "fd00:10:244:2::/64"])
        let desired = Fixture.desired(.direct, [peer], underlayV6: "fd00:198:18::1/64")
        #expect(desired.skipped.isEmpty)
        #expect(desired.datapath.routes == [Fixture.directRoute(peer),
                                            Route(destination: Fixture.prefix("fd00:10:244:2::/64"), gateway: Fixture.address("fd00:10:244:2::"),
                                                  linkIndex: Fixture.vxlanIndex, protocol: .trellis, onLink: true).kernelNormalized])
        #expect(desired.datapath.fdbEntries.map(\.destination) == [peer.publicIP], "the FDB entry points at the IPv4 underlay")

        peer.publicIPv6 = Fixture.address("fd00:198:18::2")
        let routed = Fixture.desired(.direct, [peer], underlayV6: "fd00:198:18::1/64")
        #expect(routed.datapath.routes.contains(Route(destination: Fixture.prefix("fd00:10:244:2::/64"), gateway: Fixture.address("fd00:198:18::2"),
                                                      linkIndex: Fixture.underlay.index, protocol: .trellis).kernelNormalized))
        #expect(routed.datapath.neighbors.isEmpty && routed.datapath.fdbEntries.isEmpty, "nothing over the overlay")
        #expect(Fixture.desired(.direct, [peer]).datapath.routes.filter { $0.linkIndex == Fixture.vxlanIndex }.count == 1,
                "without an IPv6 address of its own this node still uses the overlay for IPv6")
    }

    @Test("hybrid mode, dual stack: IPv6 goes direct only when the peer's IPv6 underlay address is on this node's IPv6 subnet")
    func hybridIPv6FollowsTheIPv6Subnet() {
        var near = Fixture.node(2, podCIDRs: ["10.244.2.0/24", "fd00:10:244:2::/64"])
        near.publicIPv6 = Fixture.address("fd00:198:18::2")
        var far = Fixture.node(3, publicIP: "198.18.1.3", podCIDRs: ["10.244.3.0/24", "fd00:10:244:3::/64"])
        far.publicIPv6 = Fixture.address("fd00:198:18:1::3")
        let desired = Fixture.desired(.hybrid, [near, far], underlayV6: "fd00:198:18::1/64")
        let gateways = Dictionary(uniqueKeysWithValues: desired.datapath.routes.map { ($0.destination.description, $0.gateway?.description ?? "") })
        #expect(gateways == ["10.244.2.0/24": "198.18.0.2", "fd00:10:244:2::/64": "fd00:198:18::2",
                             "10.244.3.0/24": "10.244.3.0", "fd00:10:244:3::/64": "fd00:10:244:3::"])
    }

    @Test("vxlan mode, dual stack: a route and a neighbour per slice, IPv6 in the kernel's form, one FDB entry")
    func dualStack() throws {
        let peer = Fixture.node(2, podCIDRs: ["10.244.2.0/24", "fd00:10:244:2::/64"])
        let desired = Fixture.desired(.vxlan, [peer])
        let v6 = try #require(desired.datapath.routes.first { $0.destination.family == .v6 })
        #expect(v6.gateway == Fixture.address("fd00:10:244:2::"))
        #expect(v6.onLink && v6.metric == 1024)
        #expect(desired.datapath.neighbors.map(\.address).sorted() == [Fixture.address("10.244.2.0"), Fixture.address("fd00:10:244:2::")])
        #expect(desired.datapath.fdbEntries.count == 1)
    }

    @Test("vxlan mode without a vxlan device skips every peer")
    func noDevice() {
        let desired = DesiredState.compute(config: Fixture.config(.vxlan), vxlanLinkIndex: nil, peers: [Fixture.node(2)])
        #expect(desired.datapath == .empty)
        #expect(desired.skipped == [SkippedPeer(name: "node-2", reason: .noVXLANDevice)])
    }

    @Test("routes carry the configured protocol; the default is Trellis's 126")
    func routeProtocol() {
        var config = Fixture.config(.direct)
        #expect(config.routeProtocol.rawValue == 126)
        config.routeProtocol = RouteProtocol(rawValue: 200)
        let desired = DesiredState.compute(config: config, vxlanLinkIndex: nil, peers: [Fixture.node(2)])
        #expect(desired.datapath.routes.map(\.protocol) == [RouteProtocol(rawValue: 200)])
    }

    @Test("MTU: underlay minus 50 in vxlan and hybrid mode, the underlay's in direct mode")
    func podMTU() {
        #expect(Fixture.config(.vxlan).podMTU == 1450)
        #expect(Fixture.config(.hybrid).podMTU == 1450)
        #expect(Fixture.config(.direct).podMTU == 1500)
    }
}
