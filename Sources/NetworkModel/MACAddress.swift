/// A 48-bit Ethernet (link-layer) address, written as `ip` does: `aa:bb:cc:dd:ee:ff`.
///
/// Held as one integer, not an array: every peer's neighbour and FDB entry carries one, and
/// an array would be a heap allocation per entry.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address as a 48-bit number, the first byte transmitted in its most significant bits.
    public let value: UInt64

    /// Six bytes, or `nil` for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 6 else { return nil }
        value = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Parses six colon-separated hex pairs (either case); `nil` for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var value: UInt64 = 0
        for part in parts {
            guard part.count == 2, let byte = UInt8(part, radix: 16) else { return nil }
            value = value << 8 | UInt64(byte)
        }
        self.value = value
    }

    /// The six bytes in transmission order.
    public var bytes: [UInt8] {
        (0..<6).map { UInt8(truncatingIfNeeded: value >> (40 - 8 * $0)) }
    }

    /// Lower-case hex pairs separated by colons, as `ip link` prints them.
    public var description: String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }
}
