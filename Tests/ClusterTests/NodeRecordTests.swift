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

    private func put(_ name: String, _ value: [UInt8]) -> EtcdEvent {
        EtcdEvent(kind: .put, kv: EtcdKeyValue(key: EtcdKeys.node(name), value: value))
    }

    @Test("the node set applies puts and deletes and stays complete")
    func nodeSetEvents() {
        var set = NodeSet()
        #expect(set.replace(with: [EtcdKeyValue(key: EtcdKeys.node("n1"), value: record.bytes)]).isEmpty)
        var changed = record
        changed.publicIP = "198.18.0.9"
        #expect(set.apply([put("n2", record.bytes), put("n1", changed.bytes)]).isEmpty)
        #expect(set.nodes.map(\.name) == ["n1", "n2"])
        #expect(set.byName["n1"]?.publicIP == IPAddress("198.18.0.9"))
        #expect(set.apply([EtcdEvent(kind: .delete, kv: EtcdKeyValue(key: EtcdKeys.node("n1"), value: []))]).isEmpty)
        #expect(set.nodes.map(\.name) == ["n2"])
    }

    @Test("an unparsable record is skipped and reported; the rest of the set stays")
    func nodeSetSkips() {
        var set = NodeSet()
        let skipped = set.replace(with: [
            EtcdKeyValue(key: EtcdKeys.node("good"), value: record.bytes),
            EtcdKeyValue(key: EtcdKeys.node("bad"), value: Array("not json".utf8)),
            EtcdKeyValue(key: EtcdKeys.node("nested/key"), value: record.bytes),
        ])
        #expect(skipped == [EtcdKeys.node("bad"), EtcdKeys.node("nested/key")])
        #expect(set.nodes.map(\.name) == ["good"])
        #expect(set.apply([put("good", Array(#"{"publicIP":"x"}"#.utf8))]) == [EtcdKeys.node("good")])
        #expect(set.nodes.isEmpty)
    }

    @Test("prefix range ends increment the last byte")
    func rangeEnd() {
        #expect(EtcdKeySelector.prefix("/trellis/v1/nodes/").rangeEnd == WireBytes("/trellis/v1/nodes0"))
        #expect(EtcdKeySelector.key("/a").rangeEnd == nil)
        #expect(EtcdKeySelector.prefix("").rangeEnd == WireBytes([0]))
    }
}
