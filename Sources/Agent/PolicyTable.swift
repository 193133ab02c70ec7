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

/// A terse listing of the policy table read for what it says: the rules in each chain and the
/// sets declared (what a resync compares with the ruleset committed last; set elements are not
/// listed) and the packets each chain's final drop counted.
public struct PolicyTableListing: Hashable, Sendable {
    /// Rules per chain (a base chain's hook declaration is not a rule).
    public var ruleCounts: [String: Int]
    /// The named sets and maps declared.
    public var sets: Set<String>
    /// Packets dropped by each chain's `counter drop`, by chain name.
    public var drops: [String: UInt64]

    /// Reads `nft -t list table`'s text.
    public init(_ text: String) {
        var ruleCounts: [String: Int] = [:]
        var sets: Set<String> = []
        var drops: [String: UInt64] = [:]
        var chain: String?
        for line in text.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasSuffix("{"), let head = trimmed.split(separator: " ").first, let name = trimmed.split(separator: " ").dropFirst().first {
                switch head {
                case "chain":
                    chain = String(name)
                    ruleCounts[String(name)] = 0
                case "set", "map":
                    sets.insert(String(name))
                    chain = nil
                default:
                    chain = nil
                }
                continue
            }
            guard let current = chain, trimmed != "}", !trimmed.hasPrefix("type ") else {
                if trimmed == "}" { chain = nil }
                continue
            }
            ruleCounts[current, default: 0] += 1
            if let range = trimmed.firstRange(of: "counter packets "), trimmed.hasSuffix(" drop") {
                if let packets = trimmed[range.upperBound...].split(separator: " ").first.flatMap({ UInt64($0) }) {
                    drops[current, default: 0] += packets
                }
            }
        }
        self.ruleCounts = ruleCounts
        self.sets = sets
        self.drops = drops
    }

    /// True when the table holds the chains, rules and sets of `ruleset` (counted, not compared
    /// text by text; set elements are not checked).
    public func matches(_ ruleset: PolicyRuleset) -> Bool {
        ruleCounts == PolicyTransaction.ruleCounts(ruleset)
            && sets == Set(ruleset.sets.keys).union(PolicyDirection.allCases.map(\.rawValue))
    }
}
