import Netlink
import Overlay
import Testing

@Suite("VXLANDevice (kernel)", .serialized)
struct VXLANDeviceKernelTests {
    @Test("ensure creates trellis.vxlan with VNI, port, local, underlay, nolearning, MTU, VTEP MAC, /32 and up")
    func creates() throws {
        try KernelNode.with { node throws in
            let config = node.config(.vxlan)
            let device = try VXLANDevice.ensure(config: config, handle: node.handle)
            #expect(device.created)
            #expect(device.mac == VTEPMAC.forNode("node-1"))
            let link = try #require(node.namespace.json(["ip", "-j", "-d", "link", "show", "trellis.vxlan"]).first)
            let info = try #require((link["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any])
            #expect(info["id"] as? Int == 1)
            #expect(info["port"] as? Int == 8472)
            #expect(info["local"] as? String == "198.18.0.1")
            #expect(info["link"] as? String == "under0")
            #expect(info["learning"] as? Bool == false)
            #expect(link["mtu"] as? Int == 1450)
            #expect(link["address"] as? String == VTEPMAC.forNode("node-1").description)
            #expect((link["flags"] as? [String] ?? []).contains("UP"))
            let addresses = try node.namespace.json(["ip", "-j", "-4", "addr", "show", "dev", "trellis.vxlan"])
            let local = (addresses.first?["addr_info"] as? [[String: Any]] ?? []).map { "\($0["local"] ?? "")/\($0["prefixlen"] ?? "")" }
            #expect(local == ["10.244.1.0/32"])
        }
    }

    @Test("a second ensure keeps the device and makes no change")
    func idempotent() throws {
        try KernelNode.with { node throws in
            let first = try VXLANDevice.ensure(config: node.config(.vxlan), handle: node.handle)
            let second = try VXLANDevice.ensure(config: node.config(.vxlan), handle: node.handle)
            #expect(second.writes == 0)
            #expect(!second.created)
            #expect(second.link.index == first.link.index)
            #expect(second.mac == first.mac)
        }
    }

    @Test("MTU, MAC, up state and address changed by hand are corrected in place, same device")
    func repairsInPlace() throws {
        try KernelNode.with { node throws in
            let first = try VXLANDevice.ensure(config: node.config(.vxlan), handle: node.handle)
            try node.namespace.exec(["ip", "-batch", "-"], input: """
                link set trellis.vxlan down
                link set trellis.vxlan mtu 1300 address 02:11:22:33:44:55
                addr del 10.244.1.0/32 dev trellis.vxlan
                addr add 10.244.9.0/32 dev trellis.vxlan
                """)
            let repaired = try VXLANDevice.ensure(config: node.config(.vxlan), handle: node.handle)
            #expect(!repaired.created)
            #expect(repaired.link.index == first.link.index)
            #expect(repaired.link.mtu == 1450 && repaired.link.isUp)
            #expect(repaired.link.mac == VTEPMAC.forNode("node-1"))
            #expect(repaired.writes == 5)
            let addresses = try node.handle.addresses(linkIndex: first.link.index, family: .v4).map(\.prefix.description)
            #expect(addresses == ["10.244.1.0/32"])
        }
    }

    @Test("a device with another VNI is recreated with the right one")
    func recreatesOnIdentityChange() throws {
        try KernelNode.with { node throws in
            try node.namespace.exec(["ip", "link", "add", "trellis.vxlan", "type", "vxlan", "id", "7", "dstport", "8472", "nolearning"])
            let device = try VXLANDevice.ensure(config: node.config(.vxlan), handle: node.handle)
            #expect(device.created)
            #expect(try node.handle.vxlan(named: "trellis.vxlan")?.vni == 1)
        }
    }
}
