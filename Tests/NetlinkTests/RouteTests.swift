import NetworkModel
import Foundation
import Netlink
import TestSupport
import Testing

@Suite("Routes")
struct RouteTests {
    static let trellis = RouteProtocol(rawValue: 0x5e)

    @Test("onlink route with a custom protocol is listed back by that protocol")
    func onlinkCustomProtocol() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            let route = Route(destination: try prefix("10.244.2.0/24"), gateway: try ip("10.244.2.0"),
                              linkIndex: up.link.index, protocol: Self.trellis, onLink: true)
            try up.handle.addRoute(route)

            #expect(try up.handle.routes(family: .v4, protocol: Self.trellis) == [route])
            #expect(try up.handle.routes(family: .v4, protocol: .boot).isEmpty)
            let shown = try #require(namespace.json(["ip", "-j", "route", "show", "proto", "94"]).first)
            #expect(shown["dst"] as? String == "10.244.2.0/24")
            #expect(shown["gateway"] as? String == "10.244.2.0")
            #expect(shown["dev"] as? String == "trlt0")
            #expect((shown["flags"] as? [String])?.contains("onlink") == true)
        }
    }

    @Test("replace changes the route with the same key in place")
    func replaceInPlace() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            var route = Route(destination: try prefix("10.244.3.0/24"), gateway: try ip("10.244.3.1"),
                              linkIndex: up.link.index, protocol: Self.trellis, onLink: true)
            try up.handle.addRoute(route)
            route.gateway = try ip("10.244.3.2")

            try up.handle.replaceRoute(route)

            #expect(try up.handle.routes(protocol: Self.trellis) == [route])
            let shown = try namespace.json(["ip", "-j", "route", "show", "10.244.3.0/24"])
            #expect(shown.count == 1)
            #expect(shown.first?["gateway"] as? String == "10.244.3.2")
        }
    }

    @Test("device route with scope link, source and metric; IPv6 route; delete")
    func deviceRouteAndIPv6() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            try up.handle.addAddress(try prefix("10.244.1.1/32"), linkIndex: up.link.index)
            let podRoute = Route(destination: try prefix("10.244.1.7/32"), linkIndex: up.link.index,
                                 scope: .link, protocol: Self.trellis, metric: 10, source: try ip("10.244.1.1"))
            let v6 = Route(destination: try prefix("fd00:10:244:2::/64"), gateway: try ip("fe80::1"),
                           linkIndex: up.link.index, protocol: Self.trellis, metric: 1024)
            try up.handle.addRoute(podRoute)
            try up.handle.addRoute(v6)

            #expect(try up.handle.routes(family: .v4, protocol: Self.trellis) == [podRoute])
            #expect(try up.handle.routes(family: .v6, protocol: Self.trellis) == [v6])
            let shown = try #require(namespace.json(["ip", "-j", "route", "show", "10.244.1.7"]).first)
            #expect(shown["scope"] as? String == "link")
            #expect(shown["prefsrc"] as? String == "10.244.1.1")
            #expect(shown["metric"] as? Int == 10)

            try up.handle.deleteRoute(podRoute)
            try up.handle.deleteRoute(v6)
            #expect(try up.handle.routes(protocol: Self.trellis).isEmpty)
            let again = try #require(throws: NetlinkError.self) { try up.handle.deleteRoute(podRoute) }
            #expect(again.isNotFound)
        }
    }

    @Test("the pod's default routes (via 169.254.1.1 onlink, via fe80::1) read back equal")
    func defaultRoutes() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            let v4 = Route(destination: try prefix("0.0.0.0/0"), gateway: try ip("169.254.1.1"),
                           linkIndex: up.link.index, onLink: true)
            let v6 = Route(destination: try prefix("::/0"), gateway: try ip("fe80::1"),
                           linkIndex: up.link.index, metric: 1024)
            try up.handle.addRoute(v4)
            try up.handle.addRoute(v6)

            #expect(try up.handle.routes(family: .v4) == [v4])
            #expect(try up.handle.routes(family: .v6, protocol: .boot) == [v6])
            let shown = try #require(namespace.json(["ip", "-j", "route", "show", "default"]).first)
            #expect(shown["gateway"] as? String == "169.254.1.1")
        }
    }

    @Test("an IPv6 route reads back as its kernelNormalized form (scope universe, metric 1024)")
    func ipv6Normalization() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            let route = Route(destination: try prefix("fd00:10:244:1::7/128"), linkIndex: up.link.index,
                              scope: .link, protocol: Self.trellis)
            try up.handle.addRoute(route)

            let observed = try up.handle.routes(family: .v6, protocol: Self.trellis)
            #expect(observed != [route])
            #expect(observed == [route.kernelNormalized])
            #expect(observed.first?.metric == 1024)
        }
    }

    @Test("a duplicate route is isExists with File exists and the device name")
    func duplicate() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            let route = Route(destination: try prefix("10.244.4.0/24"), gateway: try ip("10.244.4.0"),
                              linkIndex: up.link.index, protocol: Self.trellis, onLink: true)
            try up.handle.addRoute(route)
            let error = try #require(throws: NetlinkError.self) { try up.handle.addRoute(route) }
            #expect(error.isExists)
            #expect(error.errno == EEXIST)
            #expect(error.description == "route add 10.244.4.0/24 via 10.244.4.0 dev trlt0 onlink in netns \(namespace.path): File exists")
        }
    }

    @Test("bulk: 2,000 routes replaced in batches read back through the API and ip")
    func bulkReplace() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            let base = try ip("10.100.0.0")
            let routes = (0..<2_000).map { i in
                Route(destination: IPPrefix(host: base.advanced(by: UInt128(i))!), gateway: base,
                      linkIndex: up.link.index, protocol: Self.trellis, onLink: true)
            }
            try up.handle.replaceRoutes(routes)
            #expect(Set(try up.handle.routes(family: .v4, protocol: Self.trellis)) == Set(routes))
            #expect(try namespace.json(["ip", "-j", "route", "show", "proto", "94"]).count == 2_000)

            let moved = routes.map { route in
                var route = route
                route.gateway = try? ip("10.100.255.254")
                return route
            }
            try up.handle.replaceRoutes(moved)
            #expect(Set(try up.handle.routes(family: .v4, protocol: Self.trellis)) == Set(moved))
        }
    }

    @Test("a batch with failing entries applies the rest and names each failure")
    func batchPartialFailure() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            let good = Route(destination: try prefix("10.101.0.0/24"), gateway: try ip("10.101.0.1"),
                             linkIndex: up.link.index, protocol: Self.trellis, onLink: true)
            let bad = Route(destination: try prefix("10.102.0.0/24"), gateway: try ip("10.102.0.1"),
                            linkIndex: 9_999, protocol: Self.trellis, onLink: true)
            let error = try #require(throws: NetlinkError.self) { try up.handle.replaceRoutes([bad, good]) }
            guard case .batch(_, let failures) = error else {
                Issue.record("expected a batch error, got \(error)")
                return
            }
            #expect(failures.count == 1)
            #expect(failures.first?.isNotFound == true)
            #expect(failures.first?.description.contains("10.102.0.0/24") == true)
            #expect(try up.handle.routes(protocol: Self.trellis) == [good])
        }
    }
}
