/// An address with a prefix length, as `ip` writes it: `10.244.1.0/24`, `10.244.1.5/32`,
/// `fd00:10:244:1::/64`. The address keeps its host bits (an interface address is a prefix too);
/// `network` masks them off.
public struct IPPrefix: Hashable, Sendable {
    public let address: IPAddress
    /// The length in one byte (0...128), so that a prefix packs into 24 bytes.
    private let lengthByte: UInt8

    /// The prefix length in bits.
    public var length: Int { Int(lengthByte) }

    /// `nil` when `length` is out of range for the address's family.
    public init?(address: IPAddress, length: Int) {
        guard (0...address.family.bitWidth).contains(length) else { return nil }
        self.address = address
        lengthByte = UInt8(length)
    }

    /// Parses `ADDRESS/LENGTH`; a bare address is taken as a host prefix (/32 or /128).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else { return nil }
        if parts.count == 1 {
            self.init(address: address, length: address.family.bitWidth)
            return
        }
        guard let length = Int(parts[1]), parts[1].allSatisfy(\.isASCII) else { return nil }
        self.init(address: address, length: length)
    }

    /// A host prefix (/32 or /128) for one address.
    public init(host address: IPAddress) {
        self.address = address
        lengthByte = UInt8(address.family.bitWidth)
    }

    public var family: IPFamily { address.family }

    /// The mask as an integer in the family's width.
    private var mask: UInt128 {
        let width = family.bitWidth
        guard length > 0 else { return 0 }
        let ones = (UInt128.max >> UInt128(128 - width))
        return ones & ~(ones >> UInt128(length))
    }

    /// The prefix with its host bits cleared (`10.244.1.0/24` for `10.244.1.7/24`).
    public var network: IPPrefix {
        IPPrefix(address: IPAddress(family: family, value: address.value & mask), length: length)!
    }

    /// True when the host bits are all zero, i.e. this is a network, not an interface address.
    public var isNetwork: Bool { network.address == address }

    /// The last address of the prefix (the broadcast address in IPv4).
    public var lastAddress: IPAddress {
        let hostBits = (UInt128.max >> UInt128(128 - family.bitWidth)) & ~mask
        return IPAddress(family: family, value: (address.value & mask) | hostBits)
    }

    /// Number of addresses in the prefix, saturating at `UInt128.max` for a /0 IPv6 prefix.
    public var size: UInt128 {
        let hostBits = family.bitWidth - length
        return hostBits >= 128 ? .max : UInt128(1) << UInt128(hostBits)
    }

    /// True when `other` has this prefix's family and lies inside it.
    public func contains(_ other: IPAddress) -> Bool {
        other.family == family && other.value & mask == address.value & mask
    }

    /// True when every address of `other` lies inside this prefix.
    public func contains(_ other: IPPrefix) -> Bool {
        other.length >= length && contains(other.address)
    }

    /// True when the two prefixes share at least one address.
    public func overlaps(_ other: IPPrefix) -> Bool {
        contains(other.address) || other.contains(address)
    }
}

extension IPPrefix: CustomStringConvertible {
    public var description: String { "\(address)/\(length)" }
}

extension IPPrefix: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let prefix = IPPrefix(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not an IP prefix: \(text)"))
        }
        self = prefix
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
