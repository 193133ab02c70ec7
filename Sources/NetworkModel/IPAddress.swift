#if canImport(Glibc)
import Glibc
#endif

/// The address family of an IP address or prefix.
public enum IPFamily: String, Sendable, Hashable, Codable, CaseIterable {
    case v4
    case v6

    /// Width of an address of this family in bits.
    public var bitWidth: Int { self == .v4 ? 32 : 128 }
}

/// An IPv4 or IPv6 address as a value. Parsing and printing use the system's `inet_pton` /
/// `inet_ntop`, so the text forms are exactly the ones `ip` prints and accepts.
///
/// Stored as its family and two 64-bit halves, not as an enum with a `UInt128` payload: that
/// aligned every route and entry holding an address to 16 bytes (a route took 112 bytes, held
/// tens of thousands of times), and Swift 6.3's debug builds crash boxing a captured struct
/// that holds such an enum.
public struct IPAddress: Hashable, Sendable, Comparable {
    private let high: UInt64
    private let low: UInt64
    /// The address family (stored last: the value packs into 17 bytes).
    public let family: IPFamily

    /// Parses dotted-quad IPv4 or any RFC 4291 IPv6 text form; `nil` for anything else.
    public init?(_ text: String) {
        if text.contains(":") {
            var raw = in6_addr()
            guard inet_pton(AF_INET6, text, &raw) == 1 else { return nil }
            self.init(bytes: withUnsafeBytes(of: &raw) { Array($0) })
        } else {
            var raw = in_addr()
            guard inet_pton(AF_INET, text, &raw) == 1 else { return nil }
            self.init(family: .v4, value: UInt128(UInt32(bigEndian: raw.s_addr)))
        }
    }

    /// Builds an address from its network-order bytes: 4 for IPv4, 16 for IPv6.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.init(family: bytes.count == 4 ? .v4 : .v6, value: bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) })
    }

    /// Builds an address of `family` from its integer value (the low bits for IPv4).
    public init(family: IPFamily, value: UInt128) {
        let value = family == .v4 ? value & UInt128(UInt32.max) : value
        high = UInt64(truncatingIfNeeded: value >> 64)
        low = UInt64(truncatingIfNeeded: value)
        self.family = family
    }

    /// The address as an unsigned integer, for arithmetic (IPv4 in the low 32 bits).
    public var value: UInt128 {
        UInt128(high) << 64 | UInt128(low)
    }

    /// Network-order bytes: 4 for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        let width = family.bitWidth / 8
        return (0..<width).map { UInt8(truncatingIfNeeded: value >> UInt128(8 * (width - 1 - $0))) }
    }

    /// The address `offset` places after this one, or `nil` when that leaves the family's range.
    public func advanced(by offset: UInt128) -> IPAddress? {
        let (sum, overflow) = value.addingReportingOverflow(offset)
        guard !overflow, family == .v6 || sum <= UInt128(UInt32.max) else { return nil }
        return IPAddress(family: family, value: sum)
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        (lhs.family == .v4 ? 0 : 1, lhs.value) < (rhs.family == .v4 ? 0 : 1, rhs.value)
    }
}

extension IPAddress: CustomStringConvertible {
    /// The canonical text form (`10.244.1.5`, `fd00::1`).
    public var description: String {
        var raw = bytes
        let af = family == .v4 ? AF_INET : AF_INET6
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(af, &raw, &text, socklen_t(text.count))
        return String(cString: text)
    }
}

extension IPAddress: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let address = IPAddress(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not an IP address: \(text)"))
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
