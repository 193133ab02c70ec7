/// The parts of the core/v1 API objects the agent reads, as the API server serialises them
/// (Kubernetes API reference, "Node v1 core", "Status", "WatchEvent"). Everything else in a
/// Node (labels, managedFields, capacity, nodeInfo, ...) is ignored when decoding.
struct KubeNode: Decodable, Sendable {
    var metadata: Metadata
    var spec: Spec?
    var status: Status?

    struct Metadata: Decodable, Sendable {
        var name: String?
        var resourceVersion: String?
        var annotations: [String: String]?
    }

    struct Spec: Decodable, Sendable {
        /// The node's slices, one per family (kube-controller-manager `--allocate-node-cidrs`).
        var podCIDRs: [String]?
        /// The first slice only; older clusters set just this one.
        var podCIDR: String?
    }

    struct Status: Decodable, Sendable {
        var addresses: [Address]?
        var conditions: [KubeNodeCondition]?
    }

    /// One `status.addresses` entry; `type` is `InternalIP`, `ExternalIP`, `Hostname`, ...
    struct Address: Decodable, Sendable {
        var type: String
        var address: String
    }

    var name: String { metadata.name ?? "" }
    var annotations: [String: String] { metadata.annotations ?? [:] }
}

/// One entry of a Node's `status.conditions`, as read and as written by a status patch.
struct KubeNodeCondition: Codable, Hashable, Sendable {
    var type: String
    var status: String
    var reason: String?
    var message: String?
    var lastHeartbeatTime: String?
    var lastTransitionTime: String?
}

/// A page of `GET /api/v1/nodes`.
struct KubeNodeList: Decodable, Sendable {
    var metadata: ListMeta
    var items: [KubeNode]

    struct ListMeta: Decodable, Sendable {
        /// The list's snapshot: watch from here to miss nothing.
        var resourceVersion: String?
        /// Set while more pages follow: pass it as `continue` for the next one.
        var `continue`: String?
    }
}

/// The `Status` object the API server answers failures with, also inside watch ERROR events.
struct KubeStatus: Decodable, Sendable {
    var message: String?
    var reason: String?
    var code: Int?
}

/// One line of a watch stream: `{"type": "ADDED", "object": {...}}`.
enum KubeWatchEvent: Decodable, Sendable {
    case added(KubeNode)
    case modified(KubeNode)
    case deleted(KubeNode)
    /// Progress: every change up to `resourceVersion` has been sent; resume from here.
    case bookmark(resourceVersion: String)
    /// The watch failed (410 Gone when the resourceVersion is too old); the stream ends.
    case error(KubeStatus)

    private enum CodingKeys: String, CodingKey {
        case type, object
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "ADDED": self = .added(try container.decode(KubeNode.self, forKey: .object))
        case "MODIFIED": self = .modified(try container.decode(KubeNode.self, forKey: .object))
        case "DELETED": self = .deleted(try container.decode(KubeNode.self, forKey: .object))
        case "BOOKMARK":
            let node = try container.decode(KubeNode.self, forKey: .object)
            self = .bookmark(resourceVersion: node.metadata.resourceVersion ?? "")
        case "ERROR": self = .error(try container.decode(KubeStatus.self, forKey: .object))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown watch event type \(type)")
        }
    }
}
