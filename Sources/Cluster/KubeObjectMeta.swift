/// The `metadata` of the namespaced and cluster objects policy reads (Pods, Namespaces,
/// NetworkPolicies), as the API serialises it; managedFields, owners and the rest are ignored.
public struct KubeObjectMeta: Decodable, Hashable, Sendable {
    /// `metadata.name`.
    public var name: String?
    /// Empty for cluster-scoped objects.
    public var namespace: String?
    /// `metadata.labels`.
    public var labels: [String: String]?
    /// The object's version: what a watch resumes from.
    public var resourceVersion: String?
    /// `metadata.uid`: tells a recreated object of the same name apart.
    public var uid: String?

    /// Memberwise initialiser (tests, and objects made by hand).
    public init(name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil,
                resourceVersion: String? = nil, uid: String? = nil) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.resourceVersion = resourceVersion
        self.uid = uid
    }
}
