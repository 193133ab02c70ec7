/// One attachment as the spec identifies it: the `(CNI_CONTAINERID, CNI_IFNAME)` pair. Used for
/// the attachment of an ADD/CHECK/DEL and for GC's `cni.dev/valid-attachments`; both parts are
/// validated, so the pair is safe to turn into file names (IPAM's `Attachment` is the stored form).
public struct CNIAttachment: Hashable, Sendable, Comparable {
    /// `CNI_CONTAINERID` (or a valid attachment's `containerID`).
    public let containerID: ContainerID
    /// `CNI_IFNAME` (or a valid attachment's `ifname`).
    public let ifname: InterfaceName

    /// Pairs two already validated parts.
    public init(containerID: ContainerID, ifname: InterfaceName) {
        self.containerID = containerID
        self.ifname = ifname
    }

    /// Orders by container ID, then interface name.
    public static func < (lhs: CNIAttachment, rhs: CNIAttachment) -> Bool {
        (lhs.containerID, lhs.ifname) < (rhs.containerID, rhs.ifname)
    }
}
