/// An object of a collection the agent lists and watches, as the API serialises it: what the
/// generic list/watch needs from it (its key and its version).
public protocol KubeObject: Decodable, Sendable {
    /// `metadata.name`.
    var objectName: String? { get }
    /// `metadata.namespace`; nil for cluster-scoped objects.
    var objectNamespace: String? { get }
    /// `metadata.resourceVersion`.
    var objectResourceVersion: String? { get }
}

extension KubeObject {
    /// The key the collection knows the object by: `namespace/name`, or `name` for a
    /// cluster-scoped object; nil without a name.
    var collectionKey: String? {
        guard let name = objectName else { return nil }
        return objectNamespace.map { "\($0)/\(name)" } ?? name
    }
}

/// One kind of object the agent lists and watches cluster-wide: its plural name (for logs and
/// errors) and its collection's path.
public struct KubeResource<Object: KubeObject>: Sendable {
    /// `pods`, `networkpolicies`, ...
    public let name: String
    /// `/api/v1/pods`, `/apis/networking.k8s.io/v1/networkpolicies`, ...
    public let path: String
}

extension KubeResource where Object == KubePod {
    /// Every Pod of the cluster.
    public static let pods = KubeResource(name: "pods", path: "/api/v1/pods")
}

extension KubeResource where Object == KubeNamespace {
    /// Every Namespace.
    public static let namespaces = KubeResource(name: "namespaces", path: "/api/v1/namespaces")
}

extension KubeResource where Object == KubeNetworkPolicy {
    /// Every NetworkPolicy of the cluster.
    public static let networkPolicies = KubeResource(name: "networkpolicies", path: "/apis/networking.k8s.io/v1/networkpolicies")
}

extension KubeResource where Object == KubeNode {
    /// Every Node.
    static let nodes = KubeResource(name: "nodes", path: "/api/v1/nodes")
}

extension KubeNode: KubeObject {
    var objectName: String? { metadata.name }
    var objectNamespace: String? { nil }
    var objectResourceVersion: String? { metadata.resourceVersion }
}

extension KubePod: KubeObject {
    public var objectName: String? { metadata.name }
    public var objectNamespace: String? { metadata.namespace }
    public var objectResourceVersion: String? { metadata.resourceVersion }
}

extension KubeNamespace: KubeObject {
    public var objectName: String? { metadata.name }
    public var objectNamespace: String? { nil }
    public var objectResourceVersion: String? { metadata.resourceVersion }
}

extension KubeNetworkPolicy: KubeObject {
    public var objectName: String? { metadata.name }
    public var objectNamespace: String? { metadata.namespace }
    public var objectResourceVersion: String? { metadata.resourceVersion }
}
