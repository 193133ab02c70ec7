import Foundation
import Testing
@testable import CNI

/// Golden JSON for the results Trellis returns, in every version. Keys are sorted; 0.3.x and
/// 0.4.0 carry `version` per IP; only 1.1.0 carries interface and route `mtu`.
@Suite("CNIResult encoding")
struct ResultEncodingTests {
    private static let hostVeth = #"{"mac":"aa:bb:cc:00:00:01","name":"trl0123456789a"}"#
    private static func podVeth(_ v: CNIVersion) -> String {
        v == .v1_1_0
            ? #"{"mac":"0a:58:0a:f4:01:05","mtu":1450,"name":"eth0","sandbox":"/var/run/netns/cni-1234"}"#
            : #"{"mac":"0a:58:0a:f4:01:05","name":"eth0","sandbox":"/var/run/netns/cni-1234"}"#
    }
    private static func ipv4(_ v: CNIVersion) -> String {
        v < .v1_0_0
            ? #"{"address":"10.244.1.5/32","gateway":"169.254.1.1","interface":1,"version":"4"}"#
            : #"{"address":"10.244.1.5/32","gateway":"169.254.1.1","interface":1}"#
    }
    private static func ipv6(_ v: CNIVersion) -> String {
        v < .v1_0_0
            ? #"{"address":"fd00:10:244:1::5/128","gateway":"fe80::1","interface":1,"version":"6"}"#
            : #"{"address":"fd00:10:244:1::5/128","gateway":"fe80::1","interface":1}"#
    }
    private static func route4(_ v: CNIVersion) -> String {
        v == .v1_1_0
            ? #"{"dst":"0.0.0.0/0","gw":"169.254.1.1","mtu":1450}"#
            : #"{"dst":"0.0.0.0/0","gw":"169.254.1.1"}"#
    }
    private static let route6 = #"{"dst":"::/0","gw":"fe80::1"}"#

    @Test("IPv4-only result", arguments: CNIVersion.allCases)
    func ipv4Golden(version: CNIVersion) {
        let v = version
        #expect(text(Fixture.ipv4Result.json(version: v)) == """
            {"cniVersion":"\(v.rawValue)","interfaces":[\(Self.hostVeth),\(Self.podVeth(v))],\
            "ips":[\(Self.ipv4(v))],"routes":[\(Self.route4(v))]}
            """)
    }

    @Test("dual-stack result", arguments: CNIVersion.allCases)
    func dualStackGolden(version: CNIVersion) {
        let v = version
        #expect(text(Fixture.dualStackResult.json(version: v)) == """
            {"cniVersion":"\(v.rawValue)","interfaces":[\(Self.hostVeth),\(Self.podVeth(v))],\
            "ips":[\(Self.ipv4(v)),\(Self.ipv6(v))],"routes":[\(Self.route4(v)),\(Self.route6)]}
            """)
    }

    @Test("the literal 0.3.1 and 1.1.0 IPv4 documents, spelled out once")
    func literalDocuments() {
        #expect(text(Fixture.ipv4Result.json(version: .v0_3_1)) == """
            {"cniVersion":"0.3.1","interfaces":[{"mac":"aa:bb:cc:00:00:01","name":"trl0123456789a"},{"mac":"0a:58:0a:f4:01:05","name":"eth0","sandbox":"/var/run/netns/cni-1234"}],"ips":[{"address":"10.244.1.5/32","gateway":"169.254.1.1","interface":1,"version":"4"}],"routes":[{"dst":"0.0.0.0/0","gw":"169.254.1.1"}]}
            """)
        #expect(text(Fixture.ipv4Result.json(version: .v1_1_0)) == """
            {"cniVersion":"1.1.0","interfaces":[{"mac":"aa:bb:cc:00:00:01","name":"trl0123456789a"},{"mac":"0a:58:0a:f4:01:05","mtu":1450,"name":"eth0","sandbox":"/var/run/netns/cni-1234"}],"ips":[{"address":"10.244.1.5/32","gateway":"169.254.1.1","interface":1}],"routes":[{"dst":"0.0.0.0/0","gw":"169.254.1.1","mtu":1450}]}
            """)
    }

    @Test("1.1.0 attributes are written for 1.1.0 and left out before it")
    func extendedAttributes() {
        let result = CNIResult(
            interfaces: [.init(name: "eth0", mtu: 9000, socketPath: "/run/s.sock", pciID: "0000:00:1f.6")],
            routes: [.init(destination: Fixture.prefix("10.0.0.0/8"), mtu: 1400, advmss: 1360,
                           priority: 10, table: 100, scope: 253)])
        #expect(text(result.json(version: .v1_1_0)) == """
            {"cniVersion":"1.1.0","interfaces":[{"mtu":9000,"name":"eth0","pciID":"0000:00:1f.6","socketPath":"/run/s.sock"}],\
            "routes":[{"advmss":1360,"dst":"10.0.0.0/8","mtu":1400,"priority":10,"scope":253,"table":100}]}
            """)
        #expect(text(result.json(version: .v1_0_0)) == """
            {"cniVersion":"1.0.0","interfaces":[{"name":"eth0"}],"routes":[{"dst":"10.0.0.0/8"}]}
            """)
    }

    @Test("empty lists and empty dns are omitted; set dns fields are written")
    func omissions() {
        #expect(text(CNIResult().json(version: .v1_0_0)) == #"{"cniVersion":"1.0.0"}"#)
        let result = CNIResult(dns: CNIDNS(nameservers: ["10.96.0.10"], domain: "cluster.local",
                                           search: ["svc.cluster.local"], options: ["ndots:5"]))
        #expect(text(result.json(version: .v0_4_0)) == """
            {"cniVersion":"0.4.0","dns":{"domain":"cluster.local","nameservers":["10.96.0.10"],"options":["ndots:5"],"search":["svc.cluster.local"]}}
            """)
    }
}
