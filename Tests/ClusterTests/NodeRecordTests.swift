import NetworkModel
import IPAM
import Testing
@testable import Cluster

@Suite("etcd keys, records and the node set")
struct NodeRecordTests {
    let record = EtcdNodeRecord(publicIP: "198.18.0.2", podCIDR: "10.244.1.0/24", vtepMAC: "0a:58:00:00:00:01", backend: "vxlan")

    @Test("subnet keys write the slash as a dash and parse back")
    func subnetKeys() {
        let slice = IPPrefix("10.244.1.0/24")!
        #expect(EtcdKeys.subnet(slice) == "/trellis/v1/subnets/10.244.1.0-24")
        #expect(EtcdKeys.slice(fromKey: EtcdKeys.subnet(slice)) == slice)
        #expect(EtcdKeys.slice(fromKey: "/trellis/v1/subnets/fd00::-64") == IPPrefix("fd00::/64"))
        #expect(EtcdKeys.slice(fromKey: "/trellis/v1/subnets/garbage") == nil)
    }

    @Test("node names come from node keys; nested or empty names are not nodes")
    func nodeKeys() {
        #expect(EtcdKeys.nodeName(fromKey: "/trellis/v1/nodes/n1") == "n1")
        #expect(EtcdKeys.nodeName(fromKey: "/trellis/v1/nodes/") == nil)
        #expect(EtcdKeys.nodeName(fromKey: "/trellis/v1/nodes/a/b") == nil)
        #expect(EtcdKeys.nodeName(fromKey: "/trellis/v1/subnets/x") == nil)
    }

    @Test("a record is the DESIGN.md JSON and round-trips")
    func recordJSON() throws {
        #expect(String(decoding: record.bytes, as: UTF8.self)
            == #"{"backend":"vxlan","podCIDR":"10.244.1.0/24","publicIP":"198.18.0.2","vtepMAC":"0a:58:00:00:00:01"}"#)
        #expect(try EtcdNodeRecord(bytes: record.bytes) == record)
        #expect(record.node(named: "n1") == ClusterNode(name: "n1", podCIDRs: [IPPrefix("10.244.1.0/24")!],
                                                       publicIP: IPAddress("198.18.0.2")!, vtepMAC: "0a:58:00:00:00:01",
                                                       backend: .vxlan))
    }

    @Test("a record without MAC or backend, or with an unknown backend, still gives a node")
    func lenientRecord() throws {
        let bare = try EtcdNodeRecord(bytes: Array(#"{"publicIP":"198.18.0.3","podCIDR":"10.244.2.0/24","backend":"wormhole"}"#.utf8))
        let node = try #require(bare.node(named: "n2"))
        #expect(node.vtepMAC == nil && node.backend == nil)
    }

    @Test("a dual-stack record keeps podCIDR for older readers and adds podCIDRs and publicIPv6; a single-stack one is unchanged")
    func dualStackRecord() throws {
        let dual = EtcdNodeRecord(NodeRegistration(name: "n1", publicIP: IPAddress("198.18.0.2")!, publicIPv6: IPAddress("fd00:198:18::2")!,
                                                   vtepMAC: "0a:58:00:00:00:01", backend: .direct),
                                  slices: [IPPrefix("10.244.1.0/24")!, IPPrefix("fd00:10:244:1::/64")!])
        #expect(String(decoding: dual.bytes, as: UTF8.self)
            == #"{"backend":"direct","podCIDR":"10.244.1.0/24","podCIDRs":["10.244.1.0/24","fd00:10:244:1::/64"],"publicIP":"198.18.0.2","publicIPv6":"fd00:198:18::2","vtepMAC":"0a:58:00:00:00:01"}"#)
        let node = try #require(try EtcdNodeRecord(bytes: dual.bytes).node(named: "n1"))
        #expect(node.podCIDRs == [IPPrefix("10.244.1.0/24")!, IPPrefix("fd00:10:244:1::/64")!])
        #expect(node.publicIPv6 == IPAddress("fd00:198:18::2"))

        let single = EtcdNodeRecord(NodeRegistration(name: "n1", publicIP: IPAddress("198.18.0.2")!, vtepMAC: "0a:58:00:00:00:01", backend: .vxlan),
                                    slices: [IPPrefix("10.244.1.0/24")!])
        #expect(single.bytes == record.bytes, "what older agents wrote and read")
    }

    @Test("a record naming two slices of one family, or a slice that is not a network, describes no node")
    func invalidSlices() throws {
        let twoV4 = try EtcdNodeRecord(bytes: Array(#"{"publicIP":"198.18.0.3","podCIDR":"10.244.2.0/24","podCIDRs":["10.244.2.0/24","10.244.3.0/24"]}"#.utf8))
        #expect(twoV4.node(named: "n2") == nil)
        let hostBits = try EtcdNodeRecord(bytes: Array(#"{"publicIP":"198.18.0.3","podCIDR":"10.244.2.0/24","podCIDRs":["10.244.2.0/24","fd00::1/64"]}"#.utf8))
        #expect(hostBits.node(named: "n2") == nil)
    }

    @Test("prefix range ends increment the last byte")
    func rangeEnd() {
        #expect(EtcdKeySelector.prefix("/trellis/v1/nodes/").rangeEnd == WireBytes("/trellis/v1/nodes0"))
        #expect(EtcdKeySelector.key("/a").rangeEnd == nil)
        #expect(EtcdKeySelector.prefix("").rangeEnd == WireBytes([0]))
    }
}
