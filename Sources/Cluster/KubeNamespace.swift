/// A core/v1 Namespace as policy reads it: its name and labels (the API server sets
/// `kubernetes.io/metadata.name` to the name on every namespace).
public struct KubeNamespace: Decodable, Hashable, Sendable {
    /// Name and labels.
    public var metadata: KubeObjectMeta
}
