import NetworkModel
import FoundationEssentials
import Glibc

/// What the agent tells the plugin about this node, as `<runDir>/node.json`:
/// `{"nodeName","podCIDRs":[..],"clusterCIDRs":[..],"mtu","mode","metricsAddress"}`
/// (`metricsAddress`, where `cnictl` finds the agent's `/status`, may be absent).
///
/// The agent is the only writer (`write(to:)`, atomic); the plugin and `cnictl` read it with
/// `load(runDir:)`. The plugin never talks to the datastore: this file is all it knows.
public struct NodeInfo: Codable, Hashable, Sendable {
    /// How traffic to other nodes' pods leaves this node (DESIGN.md, "Datapath").
    public typealias Mode = DatapathMode

    /// The file name inside the run dir.
    public static let fileName = "node.json"

    /// The Kubernetes (or etcd) name of this node.
    public var nodeName: String
    /// This node's slice of the pod CIDR, at most one per family; the allocator's ranges.
    public var podCIDRs: [IPPrefix]
    /// The whole cluster's pod CIDRs (traffic inside them is never masqueraded).
    public var clusterCIDRs: [IPPrefix]
    /// The MTU pods get; the agent has already subtracted any encapsulation overhead.
    public var mtu: Int
    /// The datapath mode.
    public var mode: Mode
    /// `HOST:PORT` of the agent's `/metrics`, `/status`, `/healthz` and `/readyz`.
    public var metricsAddress: String?

    /// Memberwise initialiser.
    public init(nodeName: String, podCIDRs: [IPPrefix], clusterCIDRs: [IPPrefix], mtu: Int, mode: Mode,
                metricsAddress: String? = nil) {
        self.nodeName = nodeName
        self.podCIDRs = podCIDRs
        self.clusterCIDRs = clusterCIDRs
        self.mtu = mtu
        self.mode = mode
        self.metricsAddress = metricsAddress
    }

    /// The path of `node.json` in `runDir`.
    public static func path(runDir: String) -> String {
        runDir.hasSuffix("/") ? runDir + fileName : runDir + "/" + fileName
    }

    /// Reads `<runDir>/node.json`.
    ///
    /// Throws `IPAMError.nodeInfoMissing` when the file does not exist (the agent has not run yet),
    /// `.nodeInfoCorrupt` when it is not a node record, `.system` when it cannot be read.
    public static func load(runDir: String) throws -> NodeInfo {
        let path = path(runDir: runDir)
        guard let bytes = try FileIO.read(path) else { throw IPAMError.nodeInfoMissing(path: path) }
        do {
            return try JSONDecoder().decode(NodeInfo.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw IPAMError.nodeInfoCorrupt(path: path, reason: error.summary)
        } catch {
            throw IPAMError.nodeInfoCorrupt(path: path, reason: "\(error)")
        }
    }

    /// Writes `<runDir>/node.json` atomically and durably (temporary file, fsync, rename, fsync of
    /// the directory), creating `runDir` if needed. A reader sees the old or the new record, never
    /// a partial one. Throws `IPAMError.system`.
    public func write(to runDir: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes: Data
        do { bytes = try encoder.encode(self) } catch { throw IPAMError.encodingFailed(reason: "\(error)") }
        try AtomicFile.write(Array(bytes), to: Self.path(runDir: runDir))
    }
}

extension DecodingError {
    /// A one-line reason naming the offending key path, for error messages.
    var summary: String {
        let (context, what): (Context, String) = switch self {
        case .dataCorrupted(let c): (c, "invalid value")
        case .keyNotFound(let key, let c): (c, "missing key \"\(key.stringValue)\"")
        case .typeMismatch(_, let c): (c, "wrong type")
        case .valueNotFound(_, let c): (c, "null value")
        @unknown default: (Context(codingPath: [], debugDescription: ""), "undecodable")
        }
        let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        let detail = context.debugDescription.isEmpty ? "" : ": \(context.debugDescription)"
        return path.isEmpty ? what + detail : "\(what) at \(path)\(detail)"
    }
}
