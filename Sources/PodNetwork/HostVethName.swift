import IPAM
import NetworkModel

/// The host end of a pod's veth pair is named from its attachment, the container ID and the
/// interface name inside the pod, so DEL finds it without the pod's network namespace (which may
/// already be gone) and two attachments of one container (`eth0`, and `net1` as Multus adds)
/// get two veths: `trl` followed by 11 hex characters of a 64-bit FNV-1a hash of the ID, a NUL
/// byte and the interface name. 44 bits keep collisions negligible for any realistic number of
/// pods on a node while the name stays within IFNAMSIZ (15 bytes).
public enum HostVethName {
    /// The interface-name prefix every host veth of Trellis carries.
    public static let prefix = "trl"

    /// The host veth name for `attachment`.
    public static func forAttachment(_ attachment: AttachmentID) -> String {
        name(FNV1a.hash64(Array(attachment.containerID.utf8) + [0] + Array(attachment.ifname.utf8)))
    }

    /// The name a pod's host veth had before names included the interface (`trl` + the hash of
    /// the container ID alone). Pods wired by an older plugin keep theirs until they are deleted
    /// (the veth goes with the pod's namespace), so garbage collection counts it as owned by
    /// any allocation of that container.
    public static func legacy(containerID: String) -> String {
        name(FNV1a.hash64(containerID.utf8))
    }

    /// `trl` + the first 11 of the 16 hex digits of `hash`.
    private static func name(_ hash: UInt64) -> String {
        let hex = String(hash, radix: 16)
        return prefix + (String(repeating: "0", count: 16 - hex.count) + hex).prefix(11)
    }

    /// True for names `forAttachment` makes: the prefix and 11 lower-case hex digits.
    public static func isHostVethName(_ name: String) -> Bool {
        let hex = name.dropFirst(prefix.count)
        return name.hasPrefix(prefix) && hex.count == 11 && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}

/// One host veth as the kernel showed it: its name and interface index. Deleting by index
/// removes exactly the device that was seen, never a successor that got the same name since
/// (a fast DEL then ADD of the same attachment): the kernel does not reuse an index until its
/// counter wraps.
public struct HostVeth: Hashable, Sendable, CustomStringConvertible {
    /// `trl…`.
    public var name: String
    /// The interface index in the node's network namespace.
    public var index: Int32

    /// Memberwise initialiser.
    public init(name: String, index: Int32) {
        self.name = name
        self.index = index
    }

    /// `NAME (index N)`.
    public var description: String { "\(name) (index \(index))" }
}
