import NetworkModel
import Foundation
import Netlink
import TestSupport
import Testing

@Suite("VXLAN and FDB")
struct VXLANTests {
    /// A namespace with an underlay veth (address 198.18.0.2/24, up) and a vxlan device on it.
    private func overlay(in namespace: TestNamespace) throws -> (handle: NetlinkHandle, vxlan: Link, config: VXLANConfig) {
        let underlay = try UpLink(in: namespace, name: "trlu0", peerName: "trlu0p")
        try underlay.handle.addAddress(try prefix("198.18.0.2/24"), linkIndex: underlay.link.index)
        let config = VXLANConfig(name: "trellis.vxlan", vni: 1, port: 8472, local: try ip("198.18.0.2"),
                                 underlayIndex: underlay.link.index, learning: false, mtu: 1450,
                                 mac: try mac("02:5e:00:00:00:01"))
        try underlay.handle.addVXLAN(config)
        try underlay.handle.setUp("trellis.vxlan")
        return (underlay.handle, try underlay.handle.link(named: "trellis.vxlan"), config)
    }

    @Test("vxlan device has the VNI, port, local, underlay, MTU, MAC and learning off")
    func device() throws {
        try withTestNamespace { namespace in
            let (handle, link, config) = try overlay(in: namespace)
            #expect(link.kind == "vxlan")
            #expect(link.mtu == 1450)
            #expect(link.mac == config.mac)
            #expect(try handle.vxlan(named: "trellis.vxlan") == config)

            let shown = try #require(namespace.json(["ip", "-j", "-d", "link", "show", "trellis.vxlan"]).first)
            let data = try #require((shown["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any])
            #expect(data["id"] as? Int == 1)
            #expect(data["port"] as? Int == 8472)
            #expect(data["learning"] as? Bool == false)
            #expect(data["local"] as? String == "198.18.0.2")
            #expect(data["link"] as? String == "trlu0")
        }
    }

    @Test("vxlan(named:) is nil for a device of another kind")
    func notVXLAN() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            #expect(try up.handle.vxlan(named: up.link.name) == nil)
        }
    }

    @Test("an appended FDB entry shows its dst; delete removes it")
    func fdb() throws {
        try withTestNamespace { namespace in
            let (handle, link, _) = try overlay(in: namespace)
            let entry = FDBEntry(mac: try mac("02:5e:00:00:00:02"), destination: try ip("198.18.0.3"),
                                 linkIndex: link.index)
            try handle.appendFDB(entry)
            try handle.appendFDB(entry)  // idempotent

            #expect(try handle.fdbEntries(linkIndex: link.index) == [entry])
            let shown = entries(try namespace.json(["bridge", "-j", "fdb", "show", "dev", "trellis.vxlan"]),
                                where: "mac", is: "02:5e:00:00:00:02")
            #expect(shown.count == 1)
            #expect(shown.first?["dst"] as? String == "198.18.0.3")
            #expect(shown.first?["state"] as? String == "permanent")

            try handle.deleteFDB(entry)
            #expect(try handle.fdbEntries(linkIndex: link.index).isEmpty)
            #expect(try #require(throws: NetlinkError.self) { try handle.deleteFDB(entry) }.isNotFound)
        }
    }

    @Test("replaceFDB moves a MAC to a new destination; batch append lands every entry")
    func replaceAndBatch() throws {
        try withTestNamespace { namespace in
            let (handle, link, _) = try overlay(in: namespace)
            var entry = FDBEntry(mac: try mac("02:5e:00:00:00:02"), destination: try ip("198.18.0.3"),
                                 linkIndex: link.index)
            try handle.appendFDB(entry)
            entry.destination = try ip("198.18.0.4")
            try handle.replaceFDB(entry)
            #expect(try handle.fdbEntries(linkIndex: link.index) == [entry])

            let many = (0..<300).map { i in
                FDBEntry(mac: MACAddress(bytes: [2, 0x5f, 0, 0, UInt8(i >> 8), UInt8(i & 0xff)])!,
                         destination: IPAddress("198.18.1.0")!.advanced(by: UInt128(i))!, linkIndex: link.index)
            }
            try handle.appendFDBEntries(many)
            #expect(Set(try handle.fdbEntries(linkIndex: link.index)) == Set(many + [entry]))
        }
    }
}
