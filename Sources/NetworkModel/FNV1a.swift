/// The 64-bit FNV-1a hash: stable across processes and platforms (unlike `Hasher`, which is
/// seeded per process), so names derived from it (VTEP MACs, host veth names) are the same on
/// every node and after every restart.
public enum FNV1a {
    /// The hash of `bytes`.
    public static func hash64(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
