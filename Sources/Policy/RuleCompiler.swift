import NetworkModel

/// Compiles the rules of one policy, in one direction, for one selected pod into chain lines,
/// adding the named sets they reference.
///
/// A rule is "any peer, on any port": its lines are the address conditions (selector sets per
/// family, ipBlocks as named interval sets) crossed with the port conditions (one per
/// protocol), each line ending in `return`. Selector sets are referenced even while empty, so
/// the text does not change when pods come and go. Egress to named ports is one set of
/// address-protocol-port triples per family, since the port number depends on the peer.
struct RuleCompiler {
    let cluster: PolicyCluster
    let policy: NetworkPolicy
    let direction: PolicyDirection
    /// The pod the policy selects (its container ports resolve ingress named ports).
    let subject: PolicyPod

    /// The lines of `rule`; none when it can match nothing (every named port unresolved, or an
    /// ipBlock excepted away entirely). Adds the sets the lines reference to `sets`.
    func lines(for rule: PolicyRule, sets: inout PolicySetBuilder) -> [String] {
        let ports = portConditions(rule.ports)
        var lines: [String] = []
        if !ports.isEmpty {
            for address in addressConditions(rule.peers, sets: &sets) {
                lines += ports.map { ([address, $0].compactMap(\.self) + ["return"]).joined(separator: " ") }
            }
        }
        lines += namedPortLines(rule, sets: &sets)
        return lines
    }

    private var addressField: String { direction == .ingress ? "saddr" : "daddr" }

    /// One condition per family and kind of peer; `[nil]` (no condition) when the rule has no peers.
    private func addressConditions(_ peers: [PolicyPeer], sets: inout PolicySetBuilder) -> [String?] {
        guard !peers.isEmpty else { return [nil] }
        var conditions: [String] = []
        let selectors = peers.filter { if case .pods = $0 { true } else { false } }
        if !selectors.isEmpty {
            let key = [policy.namespace] + selectors.map(\.canonical).sorted()
            let names = IPFamily.allCases.map { ($0, SetName.make("pods", $0, key: key)) }
            if names.contains(where: { !sets.defines($0.1) }) {
                let groups = selectors.flatMap { cluster.groups(selectedBy: $0, in: policy.namespace) }
                for (family, name) in names { sets.define(name, family: family, groups: groups) }
            }
            conditions += names.map { "\($0.0.match) \(addressField) @\($0.1)" }
        }
        let blockPeers = peers.filter { if case .ipBlock = $0 { true } else { false } }
        let blocks = blockPeers.flatMap { peer -> [IPPrefix] in
            guard case .ipBlock(let cidr, let except) = peer else { return [] }
            return cidr.excluding(except)
        }
        for family in IPFamily.allCases {
            // Prefixes either nest or are disjoint; an interval set refuses nested ones, so only
            // the outermost stay.
            let ofFamily = blocks.filter { $0.family == family }
            let outermost = ofFamily.filter { inner in
                !ofFamily.contains { $0.length < inner.length && $0.network.contains(inner.address) }
            }
            guard !outermost.isEmpty else { continue }
            // A named interval set, shared by every rule with these blocks: an anonymous set per
            // rule would be a kernel set per pod and rule, and nft reads every set's elements
            // before each element change (thousands of them made a change take seconds).
            let name = SetName.make("blocks", family, key: blockPeers.map(\.canonical).sorted())
            sets.define(name, kind: .prefixes(family), elements: outermost.map(PolicySet.Element.prefix))
            conditions.append("\(family.match) \(addressField) @\(name)")
        }
        return conditions
    }

    /// One condition per protocol and port or range for the numbered ports (and, for ingress,
    /// the named ports of the subject; never an anonymous set, for the reason given for
    /// ipBlocks); `[nil]` when the rule names no ports; empty when none resolves.
    private func portConditions(_ ports: [PolicyPort]) -> [String?] {
        guard !ports.isEmpty else { return [nil] }
        var ranges: [PolicyProtocol: [ClosedRange<Int>]] = [:]
        var everyPort: Set<PolicyProtocol> = []
        for port in ports {
            switch port.port {
            case nil: everyPort.insert(port.protocol)
            case .numbers(let range): ranges[port.protocol, default: []].append(range)
            case .named(let name):
                guard direction == .ingress, let number = subject.port(named: name, protocol: port.protocol) else { continue }
                ranges[port.protocol, default: []].append(number...number)
            }
        }
        return PolicyProtocol.allCases.flatMap { proto -> [String?] in
            if everyPort.contains(proto) { return ["meta l4proto \(proto.rawValue)"] }
            return Set(ranges[proto] ?? []).sorted { ($0.lowerBound, $0.upperBound) < ($1.lowerBound, $1.upperBound) }
                .map { "\(proto.rawValue) dport " + ($0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)") }
        }
    }

    /// Egress to named ports: the triples of every peer pod that declares one of them.
    private func namedPortLines(_ rule: PolicyRule, sets: inout PolicySetBuilder) -> [String] {
        guard direction == .egress else { return [] }
        let named = rule.ports.compactMap { port -> (PolicyProtocol, String)? in
            guard case .named(let name) = port.port else { return nil }
            return (port.protocol, name)
        }
        guard !named.isEmpty else { return [] }
        let key = [policy.namespace] + rule.peers.map(\.canonical) + named.map { "\($0.0.rawValue):\($0.1)" }
        return IPFamily.allCases.map { family in
            let name = SetName.make("ports", family, key: key)
            if !sets.defines(name) {
                var elements: [PolicySet.Element] = []
                for (pod, address) in destinations(rule.peers) where address.family == family {
                    for (proto, port) in named {
                        if let number = pod.port(named: port, protocol: proto) { elements.append(.addressPort(address, proto, number)) }
                    }
                }
                sets.define(name, kind: .addressPorts(family), elements: elements)
            }
            return "\(family.match) daddr . meta l4proto . th dport @\(name) return"
        }
    }

    /// The pod addresses `peers` allow: every member's when there are none, else the selected
    /// members' and the member addresses inside an ipBlock.
    private func destinations(_ peers: [PolicyPeer]) -> [(PolicyPod, IPAddress)] {
        let everyAddress = { (member: PolicyCluster.Member) in member.addresses.map { (member.pod, $0) } }
        guard !peers.isEmpty else { return cluster.members.flatMap(everyAddress) }
        var found = peers.flatMap { cluster.members(selectedBy: $0, in: policy.namespace) }.flatMap(everyAddress)
        let blocks = peers.filter { if case .ipBlock = $0 { true } else { false } }
        if !blocks.isEmpty {
            found += cluster.members.flatMap(everyAddress).filter { pair in blocks.contains { $0.containsBlockAddress(pair.1) } }
        }
        return found
    }
}

extension PolicyPeer {
    /// True for an ipBlock holding `address` outside its exceptions.
    func containsBlockAddress(_ address: IPAddress) -> Bool {
        guard case .ipBlock(let cidr, let except) = self else { return false }
        return cidr.network.contains(address) && !except.contains { $0.network.contains(address) }
    }

    /// A text naming the peer exactly, for deriving set names.
    var canonical: String {
        switch self {
        case .pods(let pods, let namespaces):
            "pods(\(pods?.canonical ?? "-");ns=\(namespaces?.canonical ?? "-"))"
        case .ipBlock(let cidr, let except):
            "block(\(cidr.network) except \(except.map(\.network.description).sorted().joined(separator: ",")))"
        }
    }
}

extension LabelSelector {
    /// A text naming the selector exactly, independent of dictionary and list order.
    var canonical: String {
        let labels = matchLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let expressions = matchExpressions.map { requirement -> String in
            switch requirement.operator {
            case .in(let values): "\(requirement.key) in (\(values.sorted().joined(separator: ",")))"
            case .notIn(let values): "\(requirement.key) notin (\(values.sorted().joined(separator: ",")))"
            case .exists: "\(requirement.key) exists"
            case .doesNotExist: "!\(requirement.key)"
            }
        }.sorted()
        return "{" + (labels + expressions).joined(separator: ",") + "}"
    }
}

extension IPFamily {
    /// The nftables payload keyword of the family (`ip`, `ip6`).
    var match: String { self == .v4 ? "ip" : "ip6" }
    /// The nftables address type of the family.
    var addressType: String { self == .v4 ? "ipv4_addr" : "ipv6_addr" }
    /// The digit named sets of the family end in.
    var digit: String { self == .v4 ? "4" : "6" }
}

/// Names of the named sets: a kind, the family and a stable hash of what defines the set's
/// members, so identical selectors share one set and the name survives an agent restart.
enum SetName {
    /// `KIND` + family digit + `-` + 16 hex digits of FNV-1a over `key`.
    static func make(_ kind: String, _ family: IPFamily, key: [String]) -> String {
        let hex = String(FNV1a.hash64(key.joined(separator: "\u{1f}").utf8), radix: 16)
        return "\(kind)\(family.digit)-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
