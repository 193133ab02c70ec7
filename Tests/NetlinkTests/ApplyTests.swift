import Foundation
import Netlink
import TestSupport
import Testing

@Suite("Batched changes")
struct ApplyTests {
    static let trellis = RouteProtocol(rawValue: 0x5e)

    @Test("apply sends a mixed plan in order and reports only the refused change, by position")
    func mixedPlan() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace, name: "trlu0", peerName: "trlu0p")
            try up.handle.addVXLAN(VXLANConfig(name: "trellis.vxlan", vni: 1, local: try ip("198.18.0.2")))
            try up.handle.setUp("trellis.vxlan")
            let vxlan = try up.handle.link(named: "trellis.vxlan").index
            let gone = Route(destination: try prefix("10.244.8.0/24"), gateway: try ip("10.244.8.0"),
                             linkIndex: vxlan, protocol: Self.trellis, onLink: true)
            try up.handle.addRoute(gone)

            let vtepMAC = try mac("02:5e:00:00:00:09")
            let neighbor = Neighbor(address: try ip("10.244.9.0"), mac: vtepMAC, linkIndex: vxlan)
            let fdb = FDBEntry(mac: vtepMAC, destination: try ip("198.18.0.9"), linkIndex: vxlan)
            let route = Route(destination: try prefix("10.244.9.0/24"), gateway: try ip("10.244.9.0"),
                              linkIndex: vxlan, protocol: Self.trellis, onLink: true)
            let missing = Neighbor(address: try ip("10.244.7.0"), mac: vtepMAC, linkIndex: vxlan)
            let plan: [NetlinkChange] = [.replaceNeighbor(neighbor), .appendFDB(fdb), .replaceRoute(route),
                                         .deleteNeighbor(missing), .deleteRoute(gone)]

            let failures = try up.handle.apply(plan)

            #expect(failures.map(\.index) == [3])
            #expect(failures.first?.change == .deleteNeighbor(missing))
            #expect(failures.first?.error.isNotFound == true)
            #expect(failures.first?.description.hasPrefix("neigh del 10.244.7.0 lladdr 02:5e:00:00:00:09 dev trellis.vxlan") == true)
            #expect(try up.handle.routes(protocol: Self.trellis) == [route])
            #expect(try up.handle.neighbors(linkIndex: vxlan, family: .v4) == [neighbor])
            #expect(try up.handle.fdbEntries(linkIndex: vxlan) == [fdb])
            #expect(entries(try namespace.json(["ip", "-j", "route", "show", "proto", "94"]), where: "dst", is: "10.244.8.0/24").isEmpty)
            let resolved = try #require(namespace.json(["ip", "-j", "route", "get", "10.244.9.7"]).first)
            #expect(resolved["dev"] as? String == "trellis.vxlan")
            #expect(resolved["gateway"] as? String == "10.244.9.0")
        }
    }

    @Test("apply of nothing sends nothing and succeeds")
    func empty() throws {
        try withTestNamespace { namespace in
            let handle = try NetlinkHandle(namespacePath: namespace.path)
            #expect(try handle.apply([]).isEmpty)
        }
    }
}
