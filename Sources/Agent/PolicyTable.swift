import Overlay
import Policy

/// The `inet trellis-policy` table in the kernel, through `nft`: loaded whole (atomically) or
/// moved by an incremental transaction, listed, and removed. It knows nothing of what the rules
/// mean; `PolicyController` decides what to load.
public struct PolicyTable: Sendable {
    private let nft: NFTCommand

    /// The table in the current network namespace (the agent runs in the node's), or in the one
    /// at `namespacePath` (tests).
    public init(namespacePath: String? = nil, nftPath: String = "/usr/sbin/nft") {
        nft = NFTCommand(nftPath: nftPath, namespacePath: namespacePath)
    }

    /// Replaces the table with `ruleset` in one transaction. Throws `OverlayError.nft` (the
    /// kernel's table unchanged) or `.nftUnavailable`.
    public func load(_ ruleset: PolicyRuleset) throws {
        try nft.load(PolicyTransaction.full(ruleset))
    }

    /// Moves the table from `old` (what it holds) to `new` in one transaction; does nothing when
    /// they are equal. Throws as `load`.
    public func update(from old: PolicyRuleset, to new: PolicyRuleset) throws {
        guard let transaction = PolicyTransaction.update(from: old, to: new) else { return }
        try nft.load(transaction)
    }

    /// The kernel's listing of the table with its counters but without set elements (`nft -t`:
    /// a node's sets hold up to hundreds of thousands of addresses, which nft takes seconds to
    /// print), nil when there is no table.
    public func listing() throws -> String? {
        do {
            return try nft.run(["-t", "list", "table", "inet", "trellis-policy"])
        } catch {
            let tables = try nft.run(["list", "tables", "inet"]).split(separator: "\n")
            if tables.contains(where: { $0 == "table \(PolicyTransaction.table)" }) { throw error }
            return nil
        }
    }

    /// Deletes the table; succeeds when it is absent. Throws as `load`.
    public func remove() throws {
        try nft.load(PolicyTransaction.removal)
    }
}

/// A listing of the policy table read for what it says: its shape without counters (what a
/// resync compares with the shape committed last: chains, rules, maps and set declarations; set
/// elements are not listed) and the packets each chain's final drop counted.
public struct PolicyTableListing: Hashable, Sendable {
    /// The listing with every counter's values removed: equal for equal rules and elements.
    public var shape: String
    /// Packets dropped by each chain's `counter drop`, by chain name.
    public var drops: [String: UInt64]

    /// Reads `nft list table`'s text.
    public init(_ text: String) {
        var shape = ""
        var drops: [String: UInt64] = [:]
        var chain: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix("chain "), trimmed.hasSuffix("{") {
                chain = String(trimmed.dropFirst("chain ".count).dropLast().trimmingSuffix(" "))
            }
            guard let range = line.firstRange(of: "counter packets ") else {
                shape += line + "\n"
                continue
            }
            let rest = line[range.upperBound...]
            let words = rest.split(separator: " ")
            // "counter packets N bytes M VERDICT"
            if words.count >= 4, let packets = UInt64(words[0]), let chain, words.last == "drop" {
                drops[chain, default: 0] += packets
            }
            shape += line[..<range.lowerBound] + "counter " + words.dropFirst(3).joined(separator: " ") + "\n"
        }
        self.shape = shape
        self.drops = drops
    }
}

extension Substring {
    fileprivate func trimmingSuffix(_ character: Character) -> Substring {
        var result = self
        while result.last == character { result = result.dropLast() }
        return result
    }
}
