import NetworkModel

/// The masquerade rules of a node: `MasqueradeRuleset` loaded into the kernel with `nft`.
/// Stopping the agent leaves them in place; only uninstall calls `remove()`.
public struct Masquerade: Sendable {
    /// The cluster's pod CIDRs: traffic from them to anywhere else is masqueraded.
    public var clusterCIDRs: [IPPrefix]
    private let nft: NFTCommand

    /// Rules for `clusterCIDRs`, loaded with `nftPath` in the current network namespace (the
    /// agent runs in the node's), or in the one at `namespacePath` (tests).
    public init(clusterCIDRs: [IPPrefix], namespacePath: String? = nil, nftPath: String = "/usr/sbin/nft") {
        self.clusterCIDRs = clusterCIDRs
        self.nft = NFTCommand(nftPath: nftPath, namespacePath: namespacePath)
    }

    /// The ruleset text `apply()` loads.
    public var ruleset: String { MasqueradeRuleset.render(clusterCIDRs: clusterCIDRs) }

    /// Replaces the table `inet trellis` with the current rules in one atomic transaction:
    /// never a moment without rules, never a duplicate. Idempotent. Throws `OverlayError.nft`
    /// (nothing changed) when nft refuses it, `.nftUnavailable` when nft cannot run.
    public func apply() throws {
        try nft.load(MasqueradeRuleset.transaction(clusterCIDRs: clusterCIDRs))
    }

    /// What `nft list table inet trellis` prints now, nil when the table does not exist: the
    /// kernel's own rendering, so comparing it with the listing taken right after `apply()`
    /// tells whether anyone flushed or edited the table since. Throws as `apply()`.
    public func listing() throws -> String? {
        let (family, name) = MasqueradeRuleset.tableFamilyAndName
        do {
            return try nft.run(["list", "table", family, name])
        } catch {
            let tables = try nft.run(["list", "tables", family]).split(separator: "\n")
            if tables.contains(where: { $0 == "table \(MasqueradeRuleset.table)" }) { throw error }
            return nil
        }
    }

    /// Deletes the table `inet trellis` (uninstall); succeeds when it is absent. Throws as
    /// `apply()`.
    public func remove() throws {
        try nft.load(MasqueradeRuleset.removal)
    }
}
