import FoundationEssentials
import Glibc

/// The answer to VERSION: the version the runtime asked in, and every version Trellis speaks.
public struct VersionInfo: Hashable, Sendable {
    /// The requested `cniVersion` when stdin carried a well-formed one (echoed even if
    /// unsupported, as the spec asks), otherwise ``CNIVersion/latest``.
    public let cniVersion: String
    /// All of ``CNIVersion``, oldest first.
    public let supportedVersions: [CNIVersion] = CNIVersion.allCases

    /// Reads the requested version from VERSION's stdin. Never fails: VERSION must answer
    /// even when stdin is empty or not JSON.
    public init(stdin: Data) {
        let requested = try? JSONDecoder().decode(Request.self, from: stdin).cniVersion
        cniVersion = requested.flatMap { $0 }.flatMap { CNIVersion.isWellFormed($0) ? $0 : nil }
            ?? CNIVersion.latest.rawValue
    }

    /// `{"cniVersion":...,"supportedVersions":[...]}`, keys sorted.
    public func json() -> Data {
        JSONCoding.encode(Wire(cniVersion: cniVersion, supportedVersions: supportedVersions.map(\.rawValue)))
    }

    private struct Request: Decodable { var cniVersion: String? }

    private struct Wire: Encodable {
        var cniVersion: String
        var supportedVersions: [String]
    }
}
