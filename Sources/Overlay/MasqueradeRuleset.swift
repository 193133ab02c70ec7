import NetworkModel

/// The nftables ruleset that masquerades pod traffic leaving the cluster: pure text from the
/// cluster CIDRs. Everything lives in one table of Trellis's own, `inet trellis`, so it never
/// touches other tables and is replaced as a whole.
///
/// Per family with cluster CIDRs, in the `postrouting` NAT chain: traffic from the cluster
/// CIDRs to the cluster CIDRs returns untouched (pod to pod, pod to cluster: never SNATed),
/// so does traffic to multicast; the rest from the cluster CIDRs is masqueraded, with fully
/// random ports (as Flannel does, against conntrack insertion races).
public enum MasqueradeRuleset {
    /// The table's family and name, as `nft` writes them.
    public static let table = "inet trellis"

    /// `table` as `nft`'s two arguments.
    static let tableFamilyAndName = ("inet", "trellis")

    /// The table definition for `clusterCIDRs` (host bits are cleared; overlapping CIDRs are
    /// merged by the set). A family without cluster CIDRs gets no set and no rules.
    public static func render(clusterCIDRs: [IPPrefix]) -> String {
        var sets: [String] = []
        var rules: [String] = []
        for family in IPFamily.allCases {
            let cidrs = Set(clusterCIDRs.filter { $0.family == family }.map(\.network))
            guard !cidrs.isEmpty else { continue }
            let names = family == .v4
                ? (set: "cluster4", type: "ipv4_addr", match: "ip", multicast: "224.0.0.0/4")
                : (set: "cluster6", type: "ipv6_addr", match: "ip6", multicast: "ff00::/8")
            let elements = cidrs.sorted { ($0.address, $0.length) < ($1.address, $1.length) }.map(\.description)
            sets.append("""
                \tset \(names.set) {
                \t\ttype \(names.type)
                \t\tflags interval
                \t\tauto-merge
                \t\telements = { \(elements.joined(separator: ", ")) }
                \t}
                """)
            rules += [
                "\(names.match) saddr @\(names.set) \(names.match) daddr @\(names.set) return",
                "\(names.match) saddr @\(names.set) \(names.match) daddr \(names.multicast) return",
                "\(names.match) saddr @\(names.set) masquerade fully-random",
            ]
        }
        let chain = """
            \tchain postrouting {
            \t\ttype nat hook postrouting priority srcnat; policy accept;
            \(rules.map { "\t\t" + $0 + "\n" }.joined())\t}
            """
        return "table \(table) {\n" + (sets + [chain]).joined(separator: "\n") + "\n}\n"
    }

    /// One `nft -f` transaction replacing the table atomically: create it empty if absent (so
    /// the delete cannot fail), delete it, define it anew. The kernel applies all or nothing,
    /// so there is never a moment without the rules.
    public static func transaction(clusterCIDRs: [IPPrefix]) -> String {
        removal + render(clusterCIDRs: clusterCIDRs)
    }

    /// One transaction removing the table, succeeding also when it does not exist.
    public static let removal = "table \(table) {}\ndelete table \(table)\n"
}
