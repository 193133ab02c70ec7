import Foundation
import Netlink
import TestSupport
import Testing

@Suite("Addresses")
struct AddressTests {
    /// The `addr_info` objects `ip -j addr show dev DEV` prints.
    private func addressInfo(_ namespace: TestNamespace, _ device: String) throws -> [[String: Any]] {
        try namespace.json(["ip", "-j", "addr", "show", "dev", device]).first?["addr_info"] as? [[String: Any]] ?? []
    }

    @Test("IPv4 /32 add, list and delete")
    func ipv4() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            let address = try prefix("10.244.1.5/32")
            try up.handle.addAddress(address, linkIndex: up.link.index)

            let listed = try up.handle.addresses(linkIndex: up.link.index, family: .v4)
            #expect(listed.map(\.prefix) == [address])
            #expect(listed.first?.scope == .universe)
            let shown = entries(try addressInfo(namespace, "trlt0"), where: "local", is: "10.244.1.5")
            #expect(shown.first?["prefixlen"] as? Int == 32)

            try up.handle.deleteAddress(address, linkIndex: up.link.index)
            #expect(try up.handle.addresses(linkIndex: up.link.index, family: .v4).isEmpty)
            let again = try #require(throws: NetlinkError.self) {
                try up.handle.deleteAddress(address, linkIndex: up.link.index)
            }
            #expect(again.isNotFound)
        }
    }

    @Test("IPv6 with noDAD is never tentative; without it, it is")
    func ipv6NoDAD() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            try up.handle.addAddress(try prefix("fd00:10:244:1::5/128"), linkIndex: up.link.index, noDAD: true)
            try up.handle.addAddress(try prefix("fd00:10:244:1::6/128"), linkIndex: up.link.index)

            let info = try addressInfo(namespace, "trlt0")
            let skipped = try #require(entries(info, where: "local", is: "fd00:10:244:1::5").first)
            #expect(skipped["tentative"] == nil)
            #expect(skipped["nodad"] as? Bool == true)
            let detecting = try #require(entries(info, where: "local", is: "fd00:10:244:1::6").first)
            #expect(detecting["tentative"] as? Bool == true)

            let listed = try up.handle.addresses(linkIndex: up.link.index, family: .v6)
            let viaAPI = try #require(listed.first { $0.prefix == (try? prefix("fd00:10:244:1::5/128")) })
            #expect(viaAPI.flags.contains(.noDAD))
            #expect(!viaAPI.flags.contains(.tentative))
            #expect(listed.contains { $0.flags.contains(.tentative) })
        }
    }

    @Test("a duplicate address is isExists")
    func duplicate() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            let address = try prefix("10.244.1.5/24")
            try up.handle.addAddress(address, linkIndex: up.link.index)
            let error = try #require(throws: NetlinkError.self) {
                try up.handle.addAddress(address, linkIndex: up.link.index)
            }
            #expect(error.isExists)
            #expect(error.description == "addr add 10.244.1.5/24 dev trlt0 in netns \(namespace.path): File exists")
        }
    }
}
