/// The host end of a pod's veth pair is named from the container ID alone, so DEL finds it
/// without the pod's network namespace (which may already be gone): `trl` followed by 11 hex
/// characters of a 64-bit FNV-1a hash of the ID. 44 bits keep collisions negligible for any
/// realistic number of pods on a node while the name stays within IFNAMSIZ (15 bytes).
public enum HostVethName {
    /// The interface-name prefix every host veth of Trellis carries.
    public static let prefix = "trl"

    /// The host veth name for `containerID`.
    public static func forContainer(_ containerID: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in containerID.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        let padded = String(repeating: "0", count: 16 - hex.count) + hex
        return prefix + padded.prefix(11)
    }

    /// True for names `forContainer` makes: the prefix and 11 lower-case hex digits.
    public static func isHostVethName(_ name: String) -> Bool {
        let hex = name.dropFirst(prefix.count)
        return name.hasPrefix(prefix) && hex.count == 11 && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}
