#if canImport(Glibc)
import NetworkModel
import Glibc
#endif

/// Every failure of the IPAM module. Cases carry what an operator needs to act on (paths, the
/// slice, errno); match on the case, never on the message.
public enum IPAMError: Error, Equatable, Sendable {
    /// `node.json` is not there: the agent has not written it yet (or the run dir is wrong).
    case nodeInfoMissing(path: String)
    /// `node.json` exists but cannot be read as a node record.
    case nodeInfoCorrupt(path: String, reason: String)
    /// The network name would not be a safe single path component.
    case invalidNetworkName(String)
    /// The ranges given to the allocator are empty or hold two prefixes of one family.
    case invalidRanges([IPPrefix], reason: String)
    /// Every usable address of `slice` is taken.
    case sliceExhausted(slice: IPPrefix)
    /// Another process held the store's lock longer than `seconds`. CNI maps this to code 11
    /// ("try again later").
    case lockTimeout(path: String, seconds: Double)
    /// A container-ID prefix given to `release(containerIDPrefix:)` names more than one container.
    case ambiguousContainerID(prefix: String, candidates: [String])
    /// None of the `count` allocations' network namespace paths is visible: the caller probably
    /// runs in another mount namespace than the runtime, so freeing them all is refused.
    case noNetnsVisible(count: Int)
    /// A system call on `path` failed.
    case system(operation: String, path: String, errno: Int32)
    /// A record could not be encoded as JSON (a bug, not an environment problem).
    case encodingFailed(reason: String)
}

extension IPAMError: CustomStringConvertible {
    /// One line, naming the path or slice involved.
    public var description: String {
        switch self {
        case .nodeInfoMissing(let path):
            "\(path) does not exist: the trellis agent has not written this node's record yet"
        case .nodeInfoCorrupt(let path, let reason):
            "\(path) is not a valid node record: \(reason)"
        case .invalidNetworkName(let name):
            "invalid network name \"\(name)\": use letters, digits, '_', '-' and '.', starting with a letter or digit"
        case .invalidRanges(let ranges, let reason):
            "invalid IPAM ranges \(ranges.map(\.description)): \(reason)"
        case .sliceExhausted(let slice):
            "no free address left in \(slice)"
        case .lockTimeout(let path, let seconds):
            "timed out after \(seconds)s waiting for the IPAM lock \(path)"
        case .ambiguousContainerID(let prefix, let candidates):
            "container ID prefix \"\(prefix)\" matches \(candidates.count) containers: "
                + candidates.prefix(5).joined(separator: ", ") + (candidates.count > 5 ? ", ..." : "")
        case .noNetnsVisible(let count):
            "none of the network namespace paths of the \(count) allocations is visible here (another mount namespace than the runtime's?): "
                + "nothing released; run this on the host, or pass --force to release them all"
        case .system(let operation, let path, let code):
            "\(operation) \(path): \(String(cString: strerror(code)))"
        case .encodingFailed(let reason):
            "cannot encode IPAM record: \(reason)"
        }
    }
}
