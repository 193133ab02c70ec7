import NetworkModel

/// Every failure of the etcd datastore: the client (`EtcdClient`), slice leasing and
/// `EtcdNodeSource`. Cases carry the endpoint, the gateway operation (`kv/range`, `lease/grant`,
/// ...), the key and the status involved; nothing is a bare string to match on.
public enum EtcdError: Error, Hashable, Sendable {
    /// An endpoint is not a usable `http://HOST:PORT` or `https://HOST:PORT` URL.
    case invalidEndpoint(String)
    /// No endpoints were given.
    case noEndpoints
    /// The TCP connection to `endpoint` could not be made or broke during `operation`.
    case connectionFailed(endpoint: String, operation: String, detail: String)
    /// The TLS handshake with `endpoint` failed, or it speaks TLS and was addressed as `http://`;
    /// `reason` says which side refused what. Retryable: certificates get rotated and fixed.
    case tlsFailed(endpoint: String, operation: String, reason: String)
    /// The TLS files (`--etcd-cafile`, `--etcd-certfile`, `--etcd-keyfile`) cannot be used.
    case invalidTLSFiles(detail: String)
    /// `endpoint` did not answer `operation` within the request timeout.
    case timedOut(endpoint: String, operation: String)
    /// `endpoint` answered `operation` with an HTTP 5xx (the gateway's mapping of gRPC
    /// `Unavailable`, `DeadlineExceeded`, `Internal`, ...): worth retrying elsewhere.
    case serverError(endpoint: String, operation: String, key: String?, status: Int, message: String)
    /// `endpoint` refused `operation` with an HTTP 4xx: retrying the same request cannot help.
    /// `code` is the gRPC code the gateway reported (5 = not found, 11 = out of range, ...).
    case requestRejected(endpoint: String, operation: String, key: String?, status: Int, code: Int, message: String)
    /// `endpoint` answered `operation` with something that is not the gateway's JSON.
    case malformedResponse(endpoint: String, operation: String, detail: String)
    /// Every endpoint failed `operation`; one error per endpoint, in the order tried.
    case allEndpointsFailed(operation: String, errors: [EtcdError])
    /// A watch stream from `endpoint` ended (the server went away or closed it). Resume from the
    /// last revision seen plus one.
    case watchDisconnected(endpoint: String, key: String)
    /// The watch's start revision has been compacted away: the caller must list again and
    /// watch from the list's revision. `compactRevision` is the oldest revision still kept.
    case compacted(key: String, compactRevision: Int64)
    /// The server cancelled a watch for another reason.
    case watchCanceled(endpoint: String, key: String, reason: String)
    /// The lease does not exist (it expired or was revoked).
    case leaseNotFound(id: Int64)
    /// `--node-subnet-size` does not cut `--cluster-cidr` into slices (a slice longer than the
    /// family allows, shorter than the cluster prefix, or a cluster CIDR with host bits set).
    case invalidPool(clusterCIDR: IPPrefix, sliceLength: Int)
    /// Every `/sliceLength` slice of `clusterCIDR` is leased by another node.
    case poolExhausted(clusterCIDR: IPPrefix, sliceLength: Int)
    /// Other writers kept changing this node's record while it was being claimed.
    case contention(key: String, attempts: Int)
    /// The node name cannot be an etcd key segment (empty or containing `/`).
    case invalidNodeName(String)

    /// True for failures that retrying later (or elsewhere) may fix: unreachable or overloaded
    /// servers, broken streams, contention. False for rejected requests, bad configuration and
    /// a full pool.
    public var isRetryable: Bool {
        switch self {
        case .connectionFailed, .timedOut, .serverError, .allEndpointsFailed, .watchDisconnected,
             .malformedResponse, .contention, .tlsFailed:
            true
        case .invalidEndpoint, .noEndpoints, .requestRejected, .invalidTLSFiles, .compacted, .watchCanceled,
             .leaseNotFound, .invalidPool, .poolExhausted, .invalidNodeName:
            false
        }
    }
}

extension EtcdError: CustomStringConvertible {
    /// One line for logs and for `NodeSourceEvent.unavailable(reason:)`.
    public var description: String {
        switch self {
        case .invalidEndpoint(let endpoint):
            "invalid etcd endpoint \(endpoint) (want http://HOST:PORT)"
        case .noEndpoints:
            "no etcd endpoints given"
        case .connectionFailed(let endpoint, let operation, let detail):
            "etcd \(endpoint) \(operation): connection failed: \(detail)"
        case .timedOut(let endpoint, let operation):
            "etcd \(endpoint) \(operation): timed out"
        case .tlsFailed(let endpoint, let operation, let reason):
            "etcd \(endpoint) \(operation): \(reason)"
        case .invalidTLSFiles(let detail):
            "etcd TLS: \(detail)"
        case .serverError(let endpoint, let operation, let key, let status, let message):
            "etcd \(endpoint) \(operation)\(key.map { " \($0)" } ?? ""): HTTP \(status): \(message)"
        case .requestRejected(let endpoint, let operation, let key, let status, let code, let message):
            "etcd \(endpoint) \(operation)\(key.map { " \($0)" } ?? ""): HTTP \(status) (gRPC code \(code)): \(message)"
        case .malformedResponse(let endpoint, let operation, let detail):
            "etcd \(endpoint) \(operation): malformed response: \(detail)"
        case .allEndpointsFailed(let operation, let errors):
            "etcd \(operation): every endpoint failed: " + errors.map(\.description).joined(separator: "; ")
        case .watchDisconnected(let endpoint, let key):
            "etcd \(endpoint) watch \(key): stream ended"
        case .compacted(let key, let compactRevision):
            "etcd watch \(key): revision compacted (oldest kept: \(compactRevision))"
        case .watchCanceled(let endpoint, let key, let reason):
            "etcd \(endpoint) watch \(key): cancelled: \(reason)"
        case .leaseNotFound(let id):
            "etcd lease \(id) not found (expired or revoked)"
        case .invalidPool(let clusterCIDR, let sliceLength):
            "cluster CIDR \(clusterCIDR) cannot be cut into /\(sliceLength) slices"
        case .poolExhausted(let clusterCIDR, let sliceLength):
            "no free /\(sliceLength) slice left in cluster CIDR \(clusterCIDR): every slice is leased"
        case .contention(let key, let attempts):
            "\(key) kept changing under \(attempts) attempts to claim it"
        case .invalidNodeName(let name):
            "node name \"\(name)\" cannot be an etcd key segment"
        }
    }
}
