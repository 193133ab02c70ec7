/// A validated `CNI_IFNAME`, by the kernel's own rule (`dev_valid_name`): 1 to 15 bytes, not
/// `.` or `..`, no `/`, `:`, whitespace or NUL. Safe to hand to netlink and to use in paths.
public struct InterfaceName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The name as the runtime passed it.
    public let rawValue: String

    /// The kernel's limit: IFNAMSIZ (16) minus the terminating NUL.
    public static let maxLength = 15

    /// `nil` when `text` breaks the rule; ``problem(with:)`` says why.
    public init?(_ text: String) {
        guard InterfaceName.problem(with: text) == nil else { return nil }
        rawValue = text
    }

    /// Why `text` is not a valid interface name, or `nil` when it is one.
    public static func problem(with text: String) -> String? {
        let length = text.utf8.count
        if length == 0 { return "interface name is empty" }
        if length > maxLength { return "interface name is longer than \(maxLength) bytes" }
        if text == "." || text == ".." { return "interface name is \"\(text)\"" }
        let forbidden = text.unicodeScalars.first { scalar in
            scalar == "/" || scalar == ":" || scalar == "\0"
                || scalar.properties.isWhitespace
        }
        if let forbidden {
            return "interface name contains forbidden character U+"
                + String(forbidden.value, radix: 16, uppercase: true)
        }
        return nil
    }

    /// The raw name.
    public var description: String { rawValue }

    /// Orders by raw value.
    public static func < (lhs: InterfaceName, rhs: InterfaceName) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
