/// One network attachment of a container, as CNI identifies it: the container ID and the
/// interface name inside the container. An attachment holds at most one address per family.
public struct AttachmentID: Hashable, Sendable, Codable, Comparable {
    /// `CNI_CONTAINERID`.
    public var containerID: String
    /// `CNI_IFNAME` (usually `eth0`).
    public var ifname: String

    /// Memberwise initialiser.
    public init(containerID: String, ifname: String) {
        self.containerID = containerID
        self.ifname = ifname
    }

    /// Orders by container ID, then interface name.
    public static func < (lhs: AttachmentID, rhs: AttachmentID) -> Bool {
        (lhs.containerID, lhs.ifname) < (rhs.containerID, rhs.ifname)
    }
}

/// What the store records about the pod behind an attachment, for operators and for `gc`.
public struct PodMetadata: Hashable, Sendable, Codable {
    /// `K8S_POD_NAMESPACE` from `CNI_ARGS`; `nil` outside Kubernetes.
    public var namespace: String?
    /// `K8S_POD_NAME` from `CNI_ARGS`; `nil` outside Kubernetes.
    public var name: String?
    /// `CNI_NETNS`, the path of the pod's network namespace. `cnictl ipam gc` frees allocations
    /// whose path no longer exists; an empty path is never considered gone.
    public var netns: String

    /// Memberwise initialiser.
    public init(namespace: String? = nil, name: String? = nil, netns: String) {
        self.namespace = namespace
        self.name = name
        self.netns = netns
    }
}
