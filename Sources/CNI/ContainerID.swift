/// A validated `CNI_CONTAINERID`: an ASCII letter or digit, then letters, digits, `_`, `.` or
/// `-` (the spec's rule), at most ``maxLength`` bytes. It never contains `/` and never starts
/// with `.`, so it is safe as a file name component (the IPAM store names files after it).
public struct ContainerID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The ID as the runtime passed it.
    public let rawValue: String

    /// Longest accepted ID: leaves room for an interface name and a separator in a 255-byte
    /// file name. Runtimes use 64 hex characters.
    public static let maxLength = 200

    /// `nil` when `text` breaks the rule; ``problem(with:)`` says why.
    public init?(_ text: String) {
        guard ContainerID.problem(with: text) == nil else { return nil }
        rawValue = text
    }

    /// Why `text` is not a valid container ID, or `nil` when it is one.
    public static func problem(with text: String) -> String? {
        if text.isEmpty { return "container ID is empty" }
        if text.utf8.count > maxLength { return "container ID is longer than \(maxLength) bytes" }
        return NameRule.problem(with: text, what: "container ID")
    }

    /// The raw ID.
    public var description: String { rawValue }

    /// Orders by raw value.
    public static func < (lhs: ContainerID, rhs: ContainerID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The spec's character rule shared by container IDs and network names:
/// `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`.
enum NameRule {
    static func problem(with text: String, what: String) -> String? {
        let bytes = Array(text.utf8)
        guard let first = bytes.first else { return "\(what) is empty" }
        guard isAlphanumeric(first) else {
            return "\(what) must start with a letter or digit"
        }
        guard bytes.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "_")
                || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else {
            return "\(what) may contain only letters, digits, '_', '.' and '-'"
        }
        return nil
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
