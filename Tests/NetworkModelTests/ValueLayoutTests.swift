import FoundationEssentials
import NetworkModel
import Testing

/// The compact forms of the values every peer is held in: they must still behave as the plain
/// values they replaced.
@Suite("Value layouts")
struct ValueLayoutTests {
    private let node = ClusterNode(name: "node-2", podCIDRs: [IPPrefix("10.244.2.0/24")!], publicIP: IPAddress("198.18.0.2")!,
                                   vtepMAC: "0e:00:00:00:00:02", backend: .vxlan)

    @Test("a ClusterNode copy keeps its value when the original's fields are set")
    func clusterNodeIsAValue() {
        var changed = node
        let copy = changed
        changed.podCIDRs = [IPPrefix("10.244.9.0/24")!]
        changed.vtepMAC = nil
        #expect(copy.podCIDRs == [IPPrefix("10.244.2.0/24")!] && copy.vtepMAC == "0e:00:00:00:00:02")
        #expect(changed != copy)
        changed.podCIDRs = copy.podCIDRs
        changed.vtepMAC = copy.vtepMAC
        #expect(changed == copy && changed.hashValue == copy.hashValue)
    }

    @Test("a ClusterNode encodes as its fields, without the optional ones it lacks, and decodes back")
    func clusterNodeCoding() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(node), as: UTF8.self)
        #expect(text == #"{"backend":"vxlan","name":"node-2","podCIDRs":["10.244.2.0\/24"],"publicIP":"198.18.0.2","vtepMAC":"0e:00:00:00:00:02"}"#)
        #expect(try JSONDecoder().decode(ClusterNode.self, from: Data(text.utf8)) == node)
    }

    @Test("a MAC address keeps its six bytes and prints them as ip does")
    func macAddress() throws {
        let mac = try #require(MACAddress("0E:00:5f:Aa:01:ff"))
        #expect(mac.bytes == [0x0e, 0x00, 0x5f, 0xaa, 0x01, 0xff])
        #expect(mac.description == "0e:00:5f:aa:01:ff")
        #expect(MACAddress(bytes: mac.bytes) == mac)
        #expect(MACAddress("0e:00:5f:aa:01") == nil && MACAddress(bytes: [1, 2, 3]) == nil)
    }

    @Test("addresses of both families compare, hash and print as before; IPv4 keeps only 32 bits")
    func addresses() throws {
        let v4 = try #require(IPAddress("10.244.1.5"))
        let v6 = try #require(IPAddress("fd00:10:244::1"))
        #expect(v4.family == .v4 && v6.family == .v6)
        #expect(v4 < v6 && "\(v6)" == "fd00:10:244::1")
        #expect(IPAddress(family: .v4, value: v4.value | (1 << 40)) == v4)
        #expect(IPAddress(family: .v6, value: v4.value) != v4)
        #expect(Set([v4, v6, IPAddress("10.244.1.5")!]).count == 2)
        #expect(IPPrefix("fd00:10:244:1::/64")?.length == 64)
    }
}
