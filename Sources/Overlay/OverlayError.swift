/// Every failure of the `Overlay` module that is not a `NetlinkError` (those propagate as they
/// are: they already name the operation in `ip`'s words and carry the errno).
public enum OverlayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `nft` ran and failed: its command line, exit status and stderr (the ruleset is
    /// unchanged: a failed `nft -f` transaction applies nothing).
    case nft(command: String, status: Int32, stderr: String)
    /// `nft` could not be started, or its ruleset file written: what was attempted and why.
    case nftUnavailable(command: String, reason: String)
    /// No `--iface` was given and the namespace has no IPv4 default route to take it from.
    case noDefaultRoute
    /// The underlay interface has no global IPv4 address (needed for the VXLAN source address
    /// and hybrid mode's subnet test).
    case underlayWithoutIPv4(name: String)

    /// A one-line description naming the command or interface.
    public var description: String {
        switch self {
        case .nft(let command, let status, let stderr):
            "`\(command)` exited \(status): \(stderr.split(separator: "\n").prefix(3).joined(separator: " / "))"
        case .nftUnavailable(let command, let reason): "`\(command)`: \(reason)"
        case .noDefaultRoute: "no --iface given and no IPv4 default route to find the underlay by"
        case .underlayWithoutIPv4(let name): "underlay \(name) has no global IPv4 address"
        }
    }
}
