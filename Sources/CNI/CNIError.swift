import FoundationEssentials
import Glibc

/// The one error type of the CNI module, and what a plugin reports to the runtime: the spec's
/// error code, a short message and optional details. Rendered by ``json(version:)`` as the
/// spec's error object (`{"cniVersion","code","msg","details"}`) on stdout with a non-zero exit.
public struct CNIError: Error, Hashable, Sendable {
    /// The spec's error codes (Section 5, "Error"), plus plugin-specific codes.
    public enum Code: Hashable, Sendable {
        /// 1: the configuration's `cniVersion` is not one this plugin speaks.
        case incompatibleVersion
        /// 2: an unsupported field; the message must contain its key and value.
        case unsupportedField
        /// 3: the container is unknown; the runtime need not clean up.
        case unknownContainer
        /// 4: a missing or invalid `CNI_*` environment variable; the message names it.
        case invalidEnvironment
        /// 5: an I/O failure, such as reading stdin.
        case ioFailure
        /// 6: content that cannot be decoded (not JSON, wrong types).
        case decodingFailure
        /// 7: a configuration that decodes but is invalid.
        case invalidNetworkConfig
        /// 11: a transient condition; the runtime should retry later.
        case tryAgainLater
        /// 50: the plugin cannot service ADD requests (STATUS).
        case pluginNotAvailable
        /// 51: not available, and existing containers may have limited connectivity (STATUS).
        case limitedConnectivity
        /// A plugin-specific code; the spec reserves 0-99, so the number must be 100 or more.
        case plugin(Int)

        /// The code for errors that are not CNIErrors (as the reference plugins' skel uses).
        public static let internalError = Code.plugin(999)

        /// Every code but `.plugin`, for ``init(rawValue:)``.
        private static let wellKnown: [Code] = [
            .incompatibleVersion, .unsupportedField, .unknownContainer, .invalidEnvironment,
            .ioFailure, .decodingFailure, .invalidNetworkConfig, .tryAgainLater,
            .pluginNotAvailable, .limitedConnectivity,
        ]

        /// The number written to the error JSON's `code`.
        public var rawValue: Int {
            switch self {
            case .incompatibleVersion: 1
            case .unsupportedField: 2
            case .unknownContainer: 3
            case .invalidEnvironment: 4
            case .ioFailure: 5
            case .decodingFailure: 6
            case .invalidNetworkConfig: 7
            case .tryAgainLater: 11
            case .pluginNotAvailable: 50
            case .limitedConnectivity: 51
            case .plugin(let number): number
            }
        }

        /// The code for a number: a well-known code, or `.plugin` for 100 and above; `nil` for
        /// a reserved number (0-99) the spec does not define.
        public init?(rawValue: Int) {
            if let known = Code.wellKnown.first(where: { $0.rawValue == rawValue }) {
                self = known
            } else if rawValue >= 100 {
                self = .plugin(rawValue)
            } else {
                return nil
            }
        }
    }

    /// The spec's code (the JSON's `code`).
    public var code: Code
    /// A short message characterising the error (the JSON's `msg`).
    public var message: String
    /// A longer description (the JSON's `details`), omitted when `nil`.
    public var details: String?

    /// An error with `code`, a short `message` and optional `details`.
    public init(_ code: Code, _ message: String, details: String? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }

    /// Maps any error to the one reported to the runtime: a `CNIError` passes through, a
    /// ``CNIErrorConvertible`` gives its own mapping, anything else becomes
    /// ``Code/internalError`` (999) with the error's description as message and its type as
    /// details.
    public init(mapping error: any Error) {
        switch error {
        case let error as CNIError:
            self = error
        case let error as any CNIErrorConvertible:
            self = error.cniError
        default:
            self.init(.internalError, String(describing: error),
                      details: String(reflecting: type(of: error)))
        }
    }

    /// The spec's error object in `version`, keys sorted, no trailing newline.
    public func json(version: CNIVersion) -> Data {
        JSONCoding.encode(Wire(cniVersion: version.rawValue, code: code.rawValue,
                               msg: message, details: details))
    }

    private struct Wire: Encodable {
        let cniVersion: String
        let code: Int
        let msg: String
        let details: String?
    }
}

extension CNIError: CustomStringConvertible {
    /// `message (details)`, for logs.
    public var description: String {
        details.map { "\(message) (\($0))" } ?? message
    }
}

/// An error of another module (Netlink, IPAM, PodNetwork) that knows its CNI code, for example
/// "address range exhausted" as `.pluginNotAvailable` or "store locked" as `.tryAgainLater`.
/// ``CNIError/init(mapping:)`` uses it; conformances live where both modules are visible.
public protocol CNIErrorConvertible: Error {
    /// The error as the runtime should see it.
    var cniError: CNIError { get }
}
