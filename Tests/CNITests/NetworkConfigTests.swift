import Foundation
import Testing
@testable import CNI

@Suite("NetworkConfig")
struct NetworkConfigTests {
    @Test("a minimal config gets Trellis's defaults")
    func defaults() throws {
        let config = try NetworkConfig.decode(Fixture.config())
        #expect(config.cniVersion == .v1_1_0 && config.name == "trellis" && config.type == "trellis")
        #expect(config.runDir == "/run/trellis" && config.dataDir == "/var/lib/cni/trellis")
        #expect(config.mtu == nil && config.ranges.isEmpty && config.logFile == nil)
        #expect(config.logLevel == .info && config.prevResult == nil && config.validAttachments == nil)
        #expect(config.runtimeConfig.isEmpty && config.args.isEmpty && config.capabilities.isEmpty)
    }

    @Test("Trellis keys and the runtime's keys are read")
    func everyKey() throws {
        let config = try NetworkConfig.decode(Fixture.config(extra: """
            ,"runDir":"/tmp/run","dataDir":"/tmp/data","mtu":1450,"logFile":"/var/log/t.log",
            "logLevel":"debug","ranges":["10.244.1.0/24","fd00:10:244:1::/64"],
            "capabilities":{"portMappings":true},"dns":{"nameservers":["10.96.0.10"]},
            "runtimeConfig":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]},
            "args":{"cni":{"labels":null}},"ipMasq":true,"somethingElse":{"nested":[1,2]},
            "cni.dev/valid-attachments":[{"containerID":"abc","ifname":"eth0"}]
            """))
        #expect(config.runDir == "/tmp/run" && config.dataDir == "/tmp/data" && config.mtu == 1450)
        #expect(config.logFile == "/var/log/t.log" && config.logLevel == .debug)
        #expect(config.ranges.map(\.description) == ["10.244.1.0/24", "fd00:10:244:1::/64"])
        #expect(config.capabilities == ["portMappings": true])
        #expect(config.dns?.nameservers == ["10.96.0.10"])
        #expect(config.runtimeConfig["portMappings"] == .array([.object([
            "hostPort": .number(8080), "containerPort": .number(80), "protocol": .string("tcp")])]))
        #expect(config.args == ["cni": .object(["labels": .null])])
        #expect(config.validAttachments?.map(\.containerID.rawValue) == ["abc"])
    }

    @Test("bytes that are not a JSON config are code 6",
          arguments: ["", "not json", "[]", "{\"cniVersion\":", #"{"cniVersion":1}"#,
                      #"{"cniVersion":"1.1.0","name":"n","type":"t","mtu":"big"}"#,
                      #"{"cniVersion":"1.1.0","name":"n","type":"t","ranges":"10.0.0.0/8"}"#,
                      #"{"cniVersion":"1.1.0","name":"n","type":"t","prevResult":{"ips":[{"address":"nope"}]}}"#])
    func undecodable(json: String) {
        let error = #expect(throws: CNIError.self) { try NetworkConfig.decode(Data(json.utf8)) }
        #expect(error?.code == .decodingFailure)
    }

    @Test("a config that decodes but is invalid is code 7 with a message naming the problem",
          arguments: [
            (#"{"name":"n","type":"t"}"#, "missing cniVersion"),
            (#"{"cniVersion":"1.0","name":"n","type":"t"}"#, "malformed cniVersion \"1.0\""),
            (#"{"cniVersion":"1.1.0","type":"t"}"#, "missing network name"),
            (#"{"cniVersion":"1.1.0","name":"../x","type":"t"}"#, "invalid network name \"../x\""),
            (#"{"cniVersion":"1.1.0","name":"n"}"#, "missing or invalid plugin type"),
            (#"{"cniVersion":"1.1.0","name":"n","type":"../bin/sh"}"#, "missing or invalid plugin type"),
            (#"{"cniVersion":"1.1.0","name":"n","type":"t","mtu":100}"#, "mtu 100 out of range"),
            (#"{"cniVersion":"1.1.0","name":"n","type":"t","mtu":70000}"#, "mtu 70000 out of range"),
            (#"{"cniVersion":"1.1.0","name":"n","type":"t","runDir":"run"}"#, "runDir must be an absolute path"),
            (#"{"cniVersion":"1.1.0","name":"n","type":"t","dataDir":""}"#, "dataDir must be an absolute path"),
            (#"{"cniVersion":"1.1.0","name":"n","type":"t","logFile":"x.log"}"#, "logFile must be an absolute path"),
            (#"{"cniVersion":"1.1.0","name":"n","type":"t","logLevel":"loud"}"#, "unknown logLevel \"loud\""),
            (#"{"cniVersion":"1.1.0","name":"n","type":"t","cni.dev/valid-attachments":[{"containerID":"../a","ifname":"eth0"}]}"#,
             "invalid cni.dev/valid-attachments[0]"),
          ])
    func invalid(json: String, message: String) {
        let error = #expect(throws: CNIError.self) { try NetworkConfig.decode(Data(json.utf8)) }
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.message == message)
    }

    @Test("bad ranges are code 7", arguments: [
        (#"["10.244.1.0/33"]"#, #"ranges: "10.244.1.0/33" is not a CIDR prefix"#),
        (#"["10.244.1.0"]"#, #"ranges: "10.244.1.0" is not a CIDR prefix"#),
        (#"["bogus/24"]"#, #"ranges: "bogus/24" is not a CIDR prefix"#),
        (#"["10.244.1.7/24"]"#, #"ranges: "10.244.1.7/24" has host bits set"#),
        (#"["10.244.1.0/31"]"#, #"ranges: "10.244.1.0/31" is too small to allocate from"#),
        (#"["fd00::/127"]"#, #"ranges: "fd00::/127" is too small to allocate from"#),
        (#"["10.244.1.0/24","10.244.2.0/24"]"#, "ranges: more than one IPv4 range"),
    ])
    func badRanges(ranges: String, message: String) {
        let error = #expect(throws: CNIError.self) {
            try NetworkConfig.decode(Fixture.config(extra: #","ranges":\#(ranges)"#))
        }
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.message == message)
    }

    @Test("an unsupported cniVersion is code 1 listing the supported versions")
    func unsupportedVersion() {
        let error = #expect(throws: CNIError.self) {
            try NetworkConfig.decode(Fixture.config(version: "0.2.0"))
        }
        #expect(error?.code == .incompatibleVersion)
        #expect(error?.message == "incompatible CNI version \"0.2.0\"")
        #expect(error?.details?.contains("0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0") == true)
    }

    @Test("GC attachments fall back to libcni's cni.dev/attachments; null means not given")
    func legacyAttachmentsKey() throws {
        let legacy = try NetworkConfig.decode(Fixture.config(extra: #","cni.dev/attachments":[{"containerID":"b2","ifname":"net1"}]"#))
        #expect(legacy.validAttachments?.map(\.ifname.rawValue) == ["net1"])
        let both = try NetworkConfig.decode(Fixture.config(extra: #","cni.dev/valid-attachments":[],"cni.dev/attachments":[{"containerID":"b2","ifname":"net1"}]"#))
        #expect(both.validAttachments == [])
        let null = try NetworkConfig.decode(Fixture.config(extra: #","cni.dev/valid-attachments":null"#))
        #expect(null.validAttachments == nil)
    }

    @Test("the mtu bounds themselves are accepted", arguments: [576, 65535])
    func mtuBounds(mtu: Int) throws {
        #expect(try NetworkConfig.decode(Fixture.config(extra: #","mtu":\#(mtu)"#)).mtu == mtu)
    }
}
