import NetworkModel

/// The link-local gateway every pod routes through. The host never holds these addresses: the
/// pod reaches them through a permanent neighbour entry for the host veth's MAC, so no ARP or NDP
/// exchange, proxy ARP or DAD is involved (as Calico does with 169.254.1.1).
public enum PodGateway {
    /// The pod's IPv4 default gateway.
    public static let v4 = IPAddress("169.254.1.1")!
    /// The pod's IPv6 default gateway.
    public static let v6 = IPAddress("fe80::1")!

    /// The gateway for addresses of `family`.
    public static func address(for family: IPFamily) -> IPAddress {
        family == .v4 ? v4 : v6
    }
}
