/// The `nft -f` text that puts a `PolicyRuleset` into the kernel: a full atomic rebuild of
/// table `inet trellis-policy`, or the incremental update from one ruleset to another. Pure.
///
/// The table's only base chain hooks `forward`: replies of tracked connections and related
/// ICMP errors pass first; every packet in a connection's original direction is judged by
/// policy, the first one and all that follow, so a change that denies a connection cuts it at
/// once (no conntrack flush needed, nothing lives on). Then traffic from a pod interface jumps to the egress dispatch chain, and traffic to one to
/// the ingress dispatch chain. A dispatch chain looks the interface up in its verdict map:
/// `return` for a pod not isolated in that direction, `goto` the pod's chain otherwise, and a
/// drop after the map for an interface it does not know (a pod not programmed yet passes
/// nothing). A pod chain returns (to `forward`, since it was entered by `goto`) when a rule
/// allows the traffic and drops otherwise, so a packet between two local pods must pass both.
/// Traffic the node itself sends to its pods (kubelet probes) or receives from them goes
/// through `output` and `input`, never `forward`: it is always allowed.
public enum PolicyTransaction {
    /// The table's family and name, as `nft` writes them.
    public static let table = "inet trellis-policy"

    /// The table as one definition: sets, the two dispatch maps, the pod chains, the base chain.
    public static func render(_ ruleset: PolicyRuleset) -> String {
        var blocks: [String] = []
        for (name, set) in ruleset.sets.sorted(by: { $0.key < $1.key }) {
            var body = ["type \(set.kind.type)"] + (set.kind.isInterval ? ["flags interval"] : [])
            if !set.elements.isEmpty { body.append("elements = { \(elementList(set.elements)) }") }
            blocks.append(block("set \(name)", body))
        }
        for direction in PolicyDirection.allCases {
            let entries = ruleset.dispatch(direction)
            var body = ["type ifname : verdict"]
            if !entries.isEmpty { body.append("elements = { \(mapList(entries)) }") }
            blocks.append(block("map \(direction.rawValue)", body))
        }
        for (name, rules) in ruleset.chains.sorted(by: { $0.key < $1.key }) {
            blocks.append(block("chain \(name)", rules))
        }
        for direction in PolicyDirection.allCases {
            blocks.append(block("chain \(dispatchChain(direction))", dispatch(direction)))
        }
        blocks.append(block("chain forward", forwardChain(ruleset.workloadInterfacePrefix)))
        return "table \(table) {\n" + blocks.joined(separator: "\n") + "\n}\n"
    }

    /// One transaction replacing the table atomically: create it empty if absent (so the delete
    /// cannot fail), delete it, define it anew. There is never a moment without the rules.
    public static func full(_ ruleset: PolicyRuleset) -> String {
        removal + render(ruleset)
    }

    /// The number of rules of each chain of the table that holds `ruleset` (base chains
    /// included, their hook declaration not counted): what a resync compares with the kernel's
    /// listing to see whether anyone flushed or edited the table.
    public static func ruleCounts(_ ruleset: PolicyRuleset) -> [String: Int] {
        var counts = ruleset.chains.mapValues(\.count)
        for direction in PolicyDirection.allCases { counts[dispatchChain(direction)] = dispatch(direction).count }
        counts["forward"] = forwardChain(ruleset.workloadInterfacePrefix).count - 1
        return counts
    }

    /// One transaction removing the table, succeeding also when it does not exist.
    public static let removal = "table \(table) {}\ndelete table \(table)\n"

    /// The transaction turning the table from `old` (what the kernel holds) into `new`; nil when
    /// they are equal. Ordered so each command is valid where it stands: sets and elements are
    /// added before the chains that reference them, chains before the map entries that jump
    /// to them; map entries are removed before their chains, chains before their sets. A change
    /// of workload prefix (the base chain itself) takes the full rebuild. A set's name fixes its
    /// kind (`SetName`), so a set is never retyped in place.
    public static func update(from old: PolicyRuleset, to new: PolicyRuleset) -> String? {
        guard old.workloadInterfacePrefix == new.workloadInterfacePrefix else { return full(new) }
        var commands: [String] = []
        var removals: [String] = []
        for (name, set) in new.sets.sorted(by: { $0.key < $1.key }) {
            let before = old.sets[name]
            if before == nil {
                commands.append("add set \(table) \(name) { type \(set.kind.type);\(set.kind.isInterval ? " flags interval;" : "") }")
            }
            // Most sets are unchanged by an event; comparing allocates nothing, subtracting does.
            guard before?.elements != set.elements else { continue }
            let added = set.elements.subtracting(before?.elements ?? [])
            let gone = (before?.elements ?? []).subtracting(set.elements)
            if !added.isEmpty { commands.append("add element \(table) \(name) { \(elementList(added)) }") }
            if !gone.isEmpty { removals.append("delete element \(table) \(name) { \(elementList(gone)) }") }
        }
        for (name, rules) in new.chains.sorted(by: { $0.key < $1.key }) where old.chains[name] != rules {
            commands.append(old.chains[name] == nil ? "add chain \(table) \(name)" : "flush chain \(table) \(name)")
            commands += rules.map { "add rule \(table) \(name) \($0)" }
        }
        for direction in PolicyDirection.allCases {
            let before = old.dispatch(direction)
            let after = new.dispatch(direction)
            let gone = before.filter { after[$0.key] != $0.value }
            let added = after.filter { before[$0.key] != $0.value }
            if !gone.isEmpty {
                let keys = gone.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
                commands.append("delete element \(table) \(direction.rawValue) { \(keys) }")
            }
            if !added.isEmpty { commands.append("add element \(table) \(direction.rawValue) { \(mapList(added)) }") }
        }
        for name in old.chains.keys.sorted() where new.chains[name] == nil {
            commands += ["flush chain \(table) \(name)", "delete chain \(table) \(name)"]
        }
        commands += removals
        for name in old.sets.keys.sorted() where new.sets[name] == nil {
            commands.append("delete set \(table) \(name)")
        }
        return commands.isEmpty ? nil : commands.joined(separator: "\n") + "\n"
    }

    /// The base chain: replies and related errors first, then each pod interface through its
    /// direction's dispatch.
    private static func forwardChain(_ prefix: String) -> [String] {
        [
            "type filter hook forward priority filter; policy accept;",
            "ct direction reply accept",
            "ct state related accept",
            "iifname \"\(prefix)*\" jump \(dispatchChain(.egress))",
            "oifname \"\(prefix)*\" jump \(dispatchChain(.ingress))",
        ]
    }

    /// A dispatch chain: the interface's verdict from the map (`return`: not isolated; `goto`
    /// its chain), and a drop for an interface the map does not know.
    private static func dispatch(_ direction: PolicyDirection) -> [String] {
        let field = direction == .egress ? "iifname" : "oifname"
        return ["\(field) vmap @\(direction.rawValue)", "counter drop"]
    }

    /// The name of the dispatch chain of `direction`.
    static func dispatchChain(_ direction: PolicyDirection) -> String {
        "dispatch-\(direction.rawValue)"
    }

    private static func block(_ head: String, _ lines: [String]) -> String {
        "\t\(head) {\n" + lines.map { "\t\t\($0)\n" }.joined() + "\t}"
    }

    private static func elementList(_ elements: Set<PolicySet.Element>) -> String {
        elements.sorted().map(\.nftText).joined(separator: ", ")
    }

    private static func mapList(_ entries: [String: DispatchVerdict]) -> String {
        entries.sorted { $0.key < $1.key }.map { "\"\($0.key)\" : \($0.value.nftText)" }.joined(separator: ", ")
    }
}

extension PolicySet.Kind {
    /// The set's `type` in nftables syntax.
    var type: String {
        switch self {
        case .addresses(let family): family.addressType
        case .addressPorts(let family): "\(family.addressType) . inet_proto . inet_service"
        case .prefixes(let family): family.addressType
        }
    }

    /// True for a set of prefixes (`flags interval`).
    var isInterval: Bool {
        if case .prefixes = self { true } else { false }
    }
}

extension PolicySet.Element {
    /// The element in nftables syntax.
    var nftText: String {
        switch self {
        case .address(let address): "\(address)"
        case .addressPort(let address, let proto, let port): "\(address) . \(proto.rawValue) . \(port)"
        case .prefix(let prefix): "\(prefix)"
        }
    }
}

extension DispatchVerdict {
    /// The verdict in nftables syntax.
    var nftText: String {
        switch self {
        case .open: "return"
        case .goto(let chain): "goto \(chain)"
        }
    }
}
