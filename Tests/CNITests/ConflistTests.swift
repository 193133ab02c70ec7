import Foundation
import Testing
@testable import CNI

@Suite("NetworkConfigList")
struct ConflistTests {
    /// The repository's example, `cni-conf/10-trellis.conflist`.
    static let example = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("cni-conf/10-trellis.conflist")

    @Test("the example conflist decodes: trellis, portmap, bandwidth")
    func exampleDecodes() throws {
        let list = try NetworkConfigList.decode(Data(contentsOf: ConflistTests.example))
        #expect(list.name == "trellis")
        #expect(list.pluginTypes == ["trellis", "portmap", "bandwidth"])
        #expect(!list.disableCheck && !list.disableGC)
    }

    @Test("the trellis plugin's config gets the list's name and version merged in")
    func pluginConfigIsDerived() throws {
        let list = try NetworkConfigList.decode(Data(contentsOf: ConflistTests.example))
        let config = try list.pluginConfig(type: "trellis")
        #expect(config.name == list.name && config.cniVersion == list.cniVersion)
        #expect(config.type == "trellis")
    }

    @Test("asking for a plugin the list lacks is code 7")
    func missingPlugin() throws {
        let list = try NetworkConfigList.decode(Data(contentsOf: ConflistTests.example))
        let error = #expect(throws: CNIError.self) { try list.pluginConfig(type: "flannel") }
        #expect(error?.code == .invalidNetworkConfig)
    }

    @Test("a list with no plugins, a plugin without type or no name is code 7", arguments: [
        #"{"cniVersion":"1.0.0","name":"n","plugins":[]}"#,
        #"{"cniVersion":"1.0.0","name":"n"}"#,
        #"{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"trellis"},{"snat":true}]}"#,
        #"{"cniVersion":"1.0.0","plugins":[{"type":"trellis"}]}"#,
    ])
    func invalidList(json: String) {
        let error = #expect(throws: CNIError.self) { try NetworkConfigList.decode(Data(json.utf8)) }
        #expect(error?.code == .invalidNetworkConfig)
    }

    @Test("flags, cniVersions and codes 6 and 1 are handled")
    func flagsAndFailures() throws {
        let list = try NetworkConfigList.decode(Data(#"""
            {"cniVersion":"1.1.0","cniVersions":["1.0.0","1.1.0"],"name":"n","disableCheck":true,
             "disableGC":true,"plugins":[{"type":"trellis"}]}
            """#.utf8))
        #expect(list.disableCheck && list.disableGC && list.cniVersions == ["1.0.0", "1.1.0"])
        let undecodable = #expect(throws: CNIError.self) {
            try NetworkConfigList.decode(Data(#"{"plugins":"x"}"#.utf8))
        }
        #expect(undecodable?.code == .decodingFailure)
        #expect(undecodable?.details?.hasPrefix("plugins: expected") == true)
        let error = #expect(throws: CNIError.self) {
            try NetworkConfigList.decode(Data(#"{"cniVersion":"0.2.0","name":"n","plugins":[{"type":"t"}]}"#.utf8))
        }
        #expect(error?.code == .incompatibleVersion)
    }
}
