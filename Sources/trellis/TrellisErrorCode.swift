import CNI
import IPAM
import PodNetwork

/// Trellis's own CNI error codes (the spec leaves 100 and above to plugins).
enum TrellisErrorCode {
    /// A kernel operation while wiring or unwiring a pod failed.
    static let wiringFailed = 100
    /// Every address of the node's slice is taken.
    static let sliceExhausted = 101
    /// The pod's network namespace could not be entered.
    static let namespaceUnavailable = 102
    /// CHECK found the pod's wiring or reservation different from what ADD made.
    static let checkFailed = 103
    /// `node.json` exists but cannot be read.
    static let nodeRecordCorrupt = 104
}

extension IPAMError: CNIErrorConvertible {
    /// The store's lock and a missing node.json are transient (11: the runtime retries); a bad
    /// network name or range is the config's fault (7); the rest are Trellis's own codes.
    public var cniError: CNIError {
        switch self {
        case .lockTimeout, .nodeInfoMissing: CNIError(.tryAgainLater, description)
        case .invalidNetworkName, .invalidRanges: CNIError(.invalidNetworkConfig, description)
        case .sliceExhausted: CNIError(.plugin(TrellisErrorCode.sliceExhausted), description)
        case .nodeInfoCorrupt: CNIError(.plugin(TrellisErrorCode.nodeRecordCorrupt), description)
        case .system, .encodingFailed, .ambiguousContainerID, .noNetnsVisible: CNIError(.ioFailure, description)
        }
    }
}

extension PodNetworkError: CNIErrorConvertible {
    public var cniError: CNIError {
        switch self {
        case .netlink, .sysctl, .hostInterfaceExists, .missingMAC: CNIError(.plugin(TrellisErrorCode.wiringFailed), description)
        case .namespaceUnavailable: CNIError(.plugin(TrellisErrorCode.namespaceUnavailable), description)
        case .checkFailed: CNIError(.plugin(TrellisErrorCode.checkFailed), description)
        }
    }
}
