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

/// A page of a list (`GET /api/v1/nodes`, `/api/v1/pods`, ...).
struct KubeObjectList<Object: Decodable & Sendable>: Decodable, Sendable {
    var metadata: KubeListMeta
    var items: [Object]
}

/// A list's `metadata`.
struct KubeListMeta: Decodable, Sendable {
    /// The list's snapshot: watch from here to miss nothing.
    var resourceVersion: String?
    /// Set while more pages follow: pass it as `continue` for the next one.
    var `continue`: String?
}

/// The `Status` object the API server answers failures with, also inside watch ERROR events.
struct KubeStatus: Decodable, Sendable {
    var message: String?
    var reason: String?
    var code: Int?
}

/// One line of a watch stream: `{"type": "ADDED", "object": {...}}`.
enum KubeWatchEvent<Object: Decodable & Sendable>: Decodable, Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// Progress: every change up to `resourceVersion` has been sent; resume from here.
    case bookmark(resourceVersion: String)
    /// The watch failed (410 Gone when the resourceVersion is too old); the stream ends.
    case error(KubeStatus)

    private enum CodingKeys: String, CodingKey {
        case type, object
    }

    /// A BOOKMARK's object: only its kind and `metadata.resourceVersion` are set, so it is
    /// decoded apart from the collection's objects (whose required fields it lacks).
    private struct Bookmark: Decodable {
        struct Metadata: Decodable {
            var resourceVersion: String?
        }
        var metadata: Metadata
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "ADDED": self = .added(try container.decode(Object.self, forKey: .object))
        case "MODIFIED": self = .modified(try container.decode(Object.self, forKey: .object))
        case "DELETED": self = .deleted(try container.decode(Object.self, forKey: .object))
        case "BOOKMARK":
            self = .bookmark(resourceVersion: try container.decode(Bookmark.self, forKey: .object).metadata.resourceVersion ?? "")
        case "ERROR": self = .error(try container.decode(KubeStatus.self, forKey: .object))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown watch event type \(type)")
        }
    }
}
