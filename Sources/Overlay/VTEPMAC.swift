import NetworkModel

/// The VTEP MAC of a node, derived from its name alone, so it is the same after a reboot, a
/// device recreation or a reinstall, and peers never keep a stale FDB entry or neighbour for it.
public enum VTEPMAC {
    /// A locally administered unicast MAC (`x2:..`, `x6:..`, `xa:..` or `xe:..` first byte) from
    /// 46 bits of a 64-bit FNV-1a hash of the UTF-8 name, finished with a bit mixer so that
    /// names differing in one character differ in every byte. Stable across processes and
    /// platforms (unlike `Hasher`, which is seeded per process).
    public static func forNode(_ name: String) -> MACAddress {
        let hash = mix(FNV1a.hash64(name.utf8))
        var bytes = (0..<6).map { UInt8(truncatingIfNeeded: hash >> (8 * UInt64($0))) }
        bytes[0] = (bytes[0] | 0x02) & 0xfe  // locally administered, unicast
        return MACAddress(bytes: bytes)!
    }

    /// The finaliser of SplitMix64: every input bit affects every output bit.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
