import Foundation
import Testing
@testable import CNI

@Suite("CNIVersion")
struct VersionTests {
    @Test("every supported version parses to itself")
    func supportedVersionsParse() throws {
        for version in CNIVersion.allCases {
            #expect(try CNIVersion(parsing: version.rawValue) == version)
        }
    }

    @Test("a well-formed unsupported version is code 1 listing the supported ones",
          arguments: ["0.1.0", "0.2.0", "1.2.0", "2.0.0"])
    func unsupportedVersionIsIncompatible(text: String) {
        let error = #expect(throws: CNIError.self) { try CNIVersion(parsing: text) }
        #expect(error?.code == .incompatibleVersion)
        #expect(error?.details == "supported versions: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0")
    }

    @Test("a malformed version is code 7", arguments: ["", "1.0", "v1.0.0", "1.0.0.0", "1.x.0", "1..0"])
    func malformedVersionIsInvalidConfig(text: String) {
        let error = #expect(throws: CNIError.self) { try CNIVersion(parsing: text) }
        #expect(error?.code == .invalidNetworkConfig)
    }

    @Test("versions order by release and latest is 1.1.0")
    func ordering() {
        #expect(CNIVersion.allCases == CNIVersion.allCases.sorted())
        #expect(CNIVersion.v0_3_1 < .v0_4_0 && CNIVersion.v0_4_0 < .v1_0_0)
        #expect(CNIVersion.latest == .v1_1_0)
    }

    @Test("VERSION echoes a requested version, even an unsupported one")
    func versionInfoEchoesRequest() {
        let info = VersionInfo(stdin: Fixture.config(version: "0.2.0"))
        #expect(text(info.json())
            == #"{"cniVersion":"0.2.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}"#)
    }

    @Test("VERSION answers in the latest version for empty, non-JSON or malformed stdin",
          arguments: ["", "not json", #"{"cniVersion":"one"}"#, #"{"cniVersion":7}"#, "{}"])
    func versionInfoDefaultsToLatest(stdin: String) {
        #expect(VersionInfo(stdin: Data(stdin.utf8)).cniVersion == "1.1.0")
    }
}
