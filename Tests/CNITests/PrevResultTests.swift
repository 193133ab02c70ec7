import Foundation
import Testing
@testable import CNI

@Suite("prevResult decoding")
struct PrevResultTests {
    /// A 0.3.1 result as portmap passes it through after a bridge + host-local ADD.
    static let portmap031 = #"""
        {"cniVersion":"0.3.1","interfaces":[{"name":"cni0","mac":"0e:52:0a:f1:9c:11"},
        {"name":"veth8d2f1a3c","mac":"be:3a:c4:9f:10:22"},
        {"name":"eth0","mac":"9a:1c:7e:03:44:55","sandbox":"/var/run/netns/cni-1234"}],
        "ips":[{"version":"4","interface":2,"address":"10.88.0.7/16","gateway":"10.88.0.1"}],
        "routes":[{"dst":"0.0.0.0/0"}],"dns":{}}
        """#

    /// A 1.0.0 result as the reference plugins print it (indented, unsorted keys).
    static let ptp100 = #"""
        {
            "cniVersion": "1.0.0",
            "interfaces": [
                {"name": "veth1a2b3c4d", "mac": "f2:11:22:33:44:55"},
                {"name": "eth0", "mac": "aa:11:22:33:44:66", "sandbox": "/var/run/netns/p"}
            ],
            "ips": [
                {"interface": 1, "address": "10.1.1.2/24", "gateway": "10.1.1.1"},
                {"interface": 1, "address": "fd00::2/64", "gateway": "fd00::1"}
            ],
            "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.1.1"}, {"dst": "::/0"}],
            "dns": {"nameservers": ["10.96.0.10"]}
        }
        """#

    @Test("a 0.3.1 result as portmap produces it decodes")
    func portmapResult() throws {
        let result = try CNIResult.decode(Data(PrevResultTests.portmap031.utf8))
        #expect(result.interfaces.map(\.name) == ["cni0", "veth8d2f1a3c", "eth0"])
        #expect(result.interfaces[2].sandbox == "/var/run/netns/cni-1234")
        #expect(result.ips == [.init(address: Fixture.prefix("10.88.0.7/16"),
                                     gateway: Fixture.address("10.88.0.1"), interface: 2)])
        #expect(result.routes == [.init(destination: Fixture.prefix("0.0.0.0/0"))])
        #expect(result.dns.isEmpty)
    }

    @Test("a 1.0.0 dual-stack result decodes with DNS")
    func referenceResult() throws {
        let result = try CNIResult.decode(Data(PrevResultTests.ptp100.utf8))
        #expect(result.ips.map(\.address.description) == ["10.1.1.2/24", "fd00::2/64"])
        #expect(result.routes[1] == .init(destination: Fixture.prefix("::/0")))
        #expect(result.dns.nameservers == ["10.96.0.10"])
    }

    @Test("what Trellis writes in any version reads back unchanged",
          arguments: CNIVersion.allCases)
    func roundTrip(version: CNIVersion) throws {
        let decoded = try CNIResult.decode(Fixture.dualStackResult.json(version: version))
        #expect(decoded == Fixture.dualStackResult(writtenIn: version))
    }

    @Test("a prevResult inside a config is decoded with it")
    func prevResultInConfig() throws {
        let prev = text(Fixture.ipv4Result.json(version: .v1_0_0))
        let config = try NetworkConfig.decode(Fixture.config(version: "1.0.0", extra: #","prevResult":\#(prev)"#))
        #expect(config.prevResult?.ips == Fixture.ipv4Result.ips)
        #expect(config.prevResult?.interfaces.count == 2)
    }

    @Test("an IP whose version contradicts its address is code 7")
    func contradictoryVersion() {
        let json = #"{"cniVersion":"0.4.0","ips":[{"version":"6","address":"10.0.0.2/24"}]}"#
        let error = #expect(throws: CNIError.self) { try CNIResult.decode(Data(json.utf8)) }
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.message == #"result ips[0] has version "6""#)
    }

    @Test("an IP pointing past the interfaces is code 7")
    func interfaceOutOfRange() {
        let json = #"{"cniVersion":"1.0.0","interfaces":[{"name":"eth0"}],"ips":[{"interface":1,"address":"10.0.0.2/24"}]}"#
        let error = #expect(throws: CNIError.self) { try CNIResult.decode(Data(json.utf8)) }
        #expect(error?.message == "result ips[0] refers to interface 1")
    }

    @Test("a result in an unsupported version is code 1; a bad address is code 6")
    func unsupportedOrUndecodable() {
        let old = #"{"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.2/24"}}"#
        let error = #expect(throws: CNIError.self) { try CNIResult.decode(Data(old.utf8)) }
        #expect(error?.code == .incompatibleVersion)
        let bad = #"{"cniVersion":"1.0.0","routes":[{"dst":"10.0.0.0/99"}]}"#
        let decodeError = #expect(throws: CNIError.self) { try CNIResult.decode(Data(bad.utf8)) }
        #expect(decodeError?.code == .decodingFailure)
        #expect(decodeError?.details?.hasPrefix("routes.0.dst:") == true)
    }
}
