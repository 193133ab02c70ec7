import Foundation
import Testing
@testable import CNI

@Suite("CNIError")
struct ErrorTests {
    @Test("well-known codes have the spec's numbers and round-trip through rawValue")
    func codeNumbers() {
        let expected: [(CNIError.Code, Int)] = [
            (.incompatibleVersion, 1), (.unsupportedField, 2), (.unknownContainer, 3),
            (.invalidEnvironment, 4), (.ioFailure, 5), (.decodingFailure, 6),
            (.invalidNetworkConfig, 7), (.tryAgainLater, 11), (.pluginNotAvailable, 50),
            (.limitedConnectivity, 51), (.plugin(100), 100), (.plugin(999), 999),
        ]
        for (code, number) in expected {
            #expect(code.rawValue == number)
            #expect(CNIError.Code(rawValue: number) == code)
        }
    }

    @Test("reserved numbers the spec does not define have no code", arguments: [0, 8, 12, 49, 99])
    func reservedNumbersAreRejected(number: Int) {
        #expect(CNIError.Code(rawValue: number) == nil)
    }

    @Test("error JSON is the spec's object in the requested version", arguments: CNIVersion.allCases)
    func goldenErrorJSON(version: CNIVersion) {
        let error = CNIError(.invalidNetworkConfig, "Invalid Configuration",
                             details: "Network 192.168.0.0/31 too small to allocate from.")
        #expect(text(error.json(version: version)) == """
            {"cniVersion":"\(version.rawValue)","code":7,"details":"Network 192.168.0.0/31 too small to allocate from.","msg":"Invalid Configuration"}
            """)
    }

    @Test("error JSON omits details when there are none")
    func errorJSONWithoutDetails() {
        let error = CNIError(.tryAgainLater, "store locked")
        #expect(text(error.json(version: .v1_0_0)) == #"{"cniVersion":"1.0.0","code":11,"msg":"store locked"}"#)
    }

    @Test("mapping passes a CNIError through unchanged")
    func mappingKeepsCNIError() {
        let error = CNIError(.unknownContainer, "gone", details: "abc")
        #expect(CNIError(mapping: error) == error)
    }

    @Test("mapping uses a CNIErrorConvertible's own code")
    func mappingUsesConvertible() {
        #expect(CNIError(mapping: ExhaustedError()).code == .pluginNotAvailable)
    }

    @Test("mapping turns any other error into code 999 with its description and type")
    func mappingWrapsOtherErrors() {
        let mapped = CNIError(mapping: PlainError.linkMissing("eth0"))
        #expect(mapped.code == .plugin(999))
        #expect(mapped.message == #"linkMissing("eth0")"#)
        #expect(mapped.details?.hasSuffix("PlainError") == true)
    }
}

private enum PlainError: Error { case linkMissing(String) }

private struct ExhaustedError: CNIErrorConvertible {
    var cniError: CNIError { CNIError(.pluginNotAvailable, "range exhausted") }
}
