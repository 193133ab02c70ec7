import NetworkModel
import Netlink
import TestSupport
import Testing

@Suite("Nexthops")
struct NexthopTests {
    static let trellis = RouteProtocol(rawValue: 0x5e)

    @Test("an onlink nexthop and a route referring to it are listed back as added; ip shows nhid")
    func addAndList() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            let nexthop = Nexthop(id: 0x5e00_0002, gateway: try ip("10.244.2.0"), linkIndex: up.link.index,
                                  onLink: true, protocol: Self.trellis)
            try up.handle.addNexthop(nexthop)
            let route = Route(destination: try prefix("10.244.2.0/24"), gateway: nexthop.gateway, linkIndex: up.link.index,
                              protocol: Self.trellis, onLink: true, nexthopID: nexthop.id)
            try up.handle.addRoute(route)

            #expect(try up.handle.nexthops(protocol: Self.trellis) == [nexthop])
            #expect(try up.handle.nexthops(protocol: .boot).isEmpty)
            #expect(try up.handle.routes(protocol: Self.trellis) == [route])
            let shown = try #require(namespace.json(["ip", "-j", "route", "show", "proto", "94"]).first)
            #expect(shown["nhid"] as? Int == Int(nexthop.id))
            #expect(shown["gateway"] as? String == "10.244.2.0")
            let object = try #require(namespace.json(["ip", "-j", "nexthop", "show", "id", "\(nexthop.id)"]).first)
            #expect(object["gateway"] as? String == "10.244.2.0")
            #expect((object["flags"] as? [String])?.contains("onlink") == true)
        }
    }

    @Test("IPv6 nexthop; the id range filter; add of a taken id fails with EEXIST; replace changes it in place")
    func ipv6RangeExistsReplace() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            var nexthop = Nexthop(id: 0x5e00_0010, gateway: try ip("fd00:10:244:2::"), linkIndex: up.link.index,
                                  onLink: true, protocol: Self.trellis)
            try up.handle.addNexthop(nexthop)
            try namespace.exec(["ip", "nexthop", "add", "id", "7", "via", "10.9.9.9", "dev", "trlt0", "onlink", "proto", "94"])

            #expect(try up.handle.nexthops(protocol: Self.trellis, ids: 0x5e00_0001...0x5eff_ffff) == [nexthop])
            #expect(try up.handle.nexthops().count == 2)
            #expect(throws: NetlinkError.self) { try up.handle.addNexthop(nexthop) }
            do { try up.handle.addNexthop(nexthop) } catch let error as NetlinkError { #expect(error.isExists) }

            nexthop.gateway = try ip("fd00:10:244:3::")
            try up.handle.replaceNexthop(nexthop)
            #expect(try up.handle.nexthops(protocol: Self.trellis, ids: 0x5e00_0001...0x5eff_ffff) == [nexthop])
        }
    }

    @Test("a batch adds nexthops and their routes; deleting the routes, then the nexthops, leaves none; a missing id is not found")
    func batchAndDelete() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            let nexthops = try (2...101).map { n in
                Nexthop(id: 0x5e00_0000 + UInt32(n), gateway: try ip("10.245.\(n).0"), linkIndex: up.link.index,
                        onLink: true, protocol: Self.trellis)
            }
            let routes = try nexthops.map { nexthop in
                Route(destination: try #require(IPPrefix(address: nexthop.gateway, length: 24)), gateway: nexthop.gateway,
                      linkIndex: up.link.index, protocol: Self.trellis, onLink: true, nexthopID: nexthop.id)
            }
            let failures = try up.handle.apply(nexthops.map(NetlinkChange.addNexthop) + routes.map(NetlinkChange.addRoute))
            #expect(failures.isEmpty)
            #expect(try Set(up.handle.routes(protocol: Self.trellis)) == Set(routes))

            #expect(try up.handle.apply(routes.map(NetlinkChange.deleteRoute) + nexthops.map(NetlinkChange.deleteNexthop)).isEmpty)
            #expect(try up.handle.routes(protocol: Self.trellis).isEmpty)
            #expect(try up.handle.nexthops().isEmpty)
            do {
                try up.handle.deleteNexthop(nexthops[0])
                Issue.record("deleting a missing nexthop succeeded")
            } catch let error as NetlinkError {
                #expect(error.isNotFound)
                #expect(error.operation.hasPrefix("nexthop del id \(nexthops[0].id)"))
            }
        }
    }
}
