import NetworkModel
import Foundation
import Netlink
import TestSupport
import Testing

@Suite("Neighbours")
struct NeighborTests {
    @Test("a permanent neighbour is listed by the API and by ip as PERMANENT")
    func permanent() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            let neighbor = Neighbor(address: try ip("169.254.1.1"), mac: try mac("02:11:22:33:44:55"),
                                    linkIndex: up.link.index)
            try up.handle.addNeighbor(neighbor)

            #expect(try up.handle.neighbors(linkIndex: up.link.index, family: .v4) == [neighbor])
            let shown = try #require(namespace.json(["ip", "-j", "neigh", "show", "dev", "trlt0"]).first)
            #expect(shown["dst"] as? String == "169.254.1.1")
            #expect(shown["lladdr"] as? String == "02:11:22:33:44:55")
            #expect(shown["state"] as? [String] == ["PERMANENT"])
        }
    }

    @Test("add of an existing entry is isExists; replace changes its MAC; delete removes it")
    func replaceAndDelete() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            var neighbor = Neighbor(address: try ip("fe80::1"), mac: try mac("02:11:22:33:44:55"),
                                    linkIndex: up.link.index)
            try up.handle.addNeighbor(neighbor)
            #expect(try #require(throws: NetlinkError.self) { try up.handle.addNeighbor(neighbor) }.isExists)

            neighbor.mac = try mac("02:66:77:88:99:aa")
            try up.handle.replaceNeighbor(neighbor)
            #expect(try up.handle.neighbors(linkIndex: up.link.index, family: .v6).filter { $0.state == .permanent } == [neighbor])
            let shown = entries(try namespace.json(["ip", "-j", "-6", "neigh", "show", "dev", "trlt0"]), where: "dst", is: "fe80::1")
            #expect(shown.first?["lladdr"] as? String == "02:66:77:88:99:aa")

            try up.handle.deleteNeighbor(neighbor)
            #expect(!(try up.handle.neighbors(linkIndex: up.link.index)).contains(neighbor))
            #expect(try #require(throws: NetlinkError.self) { try up.handle.deleteNeighbor(neighbor) }.isNotFound)
        }
    }

    @Test("batch replace of neighbours lands every entry")
    func batch() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            let base = try ip("10.200.0.0")
            let neighbors = (0..<500).map { i in
                Neighbor(address: base.advanced(by: UInt128(i))!,
                         mac: MACAddress(bytes: [2, 0, 0, 0, UInt8(i >> 8), UInt8(i & 0xff)])!,
                         linkIndex: up.link.index)
            }
            try up.handle.replaceNeighbors(neighbors)
            #expect(Set(try up.handle.neighbors(linkIndex: up.link.index, family: .v4)) == Set(neighbors))
            #expect(try namespace.json(["ip", "-j", "-4", "neigh", "show", "dev", "trlt0"]).count == 500)
        }
    }
}
