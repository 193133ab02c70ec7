/// One difference between what should be and what is, as `cnictl diagnose` prints it and the
/// agent's `/diagnose` serves it.
public struct Finding: Codable, Hashable, Sendable, CustomStringConvertible {
    /// What was checked: `agent`, `node.json`, `vxlan`, `datapath`, `peer`, `masquerade`,
    /// `forwarding`, `underlay`, `pod`.
    public var check: String
    /// What is wrong, in an operator's words (a missing entry as the `ip` command that adds it).
    public var message: String

    /// A finding; every property as documented on the type.
    public init(check: String, message: String) {
        self.check = check
        self.message = message
    }

    /// `"check: message"`.
    public var description: String { "\(check): \(message)" }
}
