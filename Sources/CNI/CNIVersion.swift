/// A version of the CNI specification that Trellis speaks.
///
/// The result format changed twice within this range: 1.0.0 dropped the per-address `version`
/// field, 1.1.0 added interface `mtu`/`socketPath`/`pciID` and route `mtu`/`advmss`/`priority`/
/// `table`/`scope`. Versions before 0.3.0 used a different result shape and are not spoken.
public enum CNIVersion: String, CaseIterable, Comparable, Sendable {
    case v0_3_0 = "0.3.0"
    case v0_3_1 = "0.3.1"
    case v0_4_0 = "0.4.0"
    case v1_0_0 = "1.0.0"
    case v1_1_0 = "1.1.0"

    /// The newest version, used when a request names none we can read.
    public static let latest: CNIVersion = .v1_1_0

    /// Parses the `cniVersion` of a configuration or result.
    ///
    /// - Throws: `.invalidNetworkConfig` (7) when `text` is not a `MAJOR.MINOR.PATCH` version,
    ///   `.incompatibleVersion` (1) listing the supported versions when it is one we don't speak.
    public init(parsing text: String) throws(CNIError) {
        guard CNIVersion.isWellFormed(text) else {
            throw CNIError(.invalidNetworkConfig, "malformed cniVersion \"\(text)\"",
                           details: "expected MAJOR.MINOR.PATCH")
        }
        guard let version = CNIVersion(rawValue: text) else {
            throw CNIError(.incompatibleVersion, "incompatible CNI version \"\(text)\"",
                           details: "supported versions: " + CNIVersion.supportedList)
        }
        self = version
    }

    /// True for `MAJOR.MINOR.PATCH` with decimal components, whether or not it is supported.
    public static func isWellFormed(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 9 && part.allSatisfy { $0.isASCII && $0.isNumber }
        }
    }

    /// The supported versions, oldest first, comma-separated (for messages).
    public static var supportedList: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Whether results carry `"version": "4"|"6"` in each IP entry (0.3.x and 0.4.0).
    var hasIPFamilyField: Bool { self < .v1_0_0 }

    /// Whether the 1.1.0 additions (interface mtu, socketPath, pciID; route attributes) exist.
    var hasExtendedAttributes: Bool { self >= .v1_1_0 }

    /// Orders by release.
    public static func < (lhs: CNIVersion, rhs: CNIVersion) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
