import NetworkModel

/// The nftables state that enforces policy on one node, as values: what `PolicyCompiler`
/// produces and `PolicyTransaction` renders. It holds only what Trellis sets, keyed the way
/// nftables identifies it (a set or chain by name, a map entry by interface), so two rulesets
/// differ by set algebra: elements added and removed, chains whose rules changed, map entries.
///
/// Chain text never depends on which pods match a selector: membership lives in the named sets
/// alone, so a pod starting, stopping or relabelling changes set elements, not rules.
public struct PolicyRuleset: Hashable, Sendable {
    /// Named sets: selector members (addresses) and, for egress to named ports, the
    /// address-protocol-port triples of the pods that declare them.
    public var sets: [String: PolicySet]
    /// Per-endpoint chains (`ingress-trl…`, `egress-trl…`): their rules in order, each
    /// ending in `return` (allowed in this direction), then a counted drop.
    public var chains: [String: [String]]
    /// Per direction, the dispatch verdict map: host veth name → what its traffic goes through.
    /// An interface under the workload prefix that is absent here passes nothing; an interface
    /// outside the prefix is never looked up.
    public var dispatch: [PolicyDirection: [String: DispatchVerdict]]
    /// The prefix of every pod's host veth (`trl`): traffic through such an interface that is
    /// not in `dispatch` is dropped (fail closed).
    public var workloadInterfacePrefix: String

    /// Memberwise initialiser.
    public init(sets: [String: PolicySet] = [:], chains: [String: [String]] = [:],
                dispatch: [PolicyDirection: [String: DispatchVerdict]] = [:], workloadInterfacePrefix: String) {
        self.sets = sets
        self.chains = chains
        self.dispatch = dispatch
        self.workloadInterfacePrefix = workloadInterfacePrefix
    }

    /// The dispatch entries of `direction` (empty when none).
    public func dispatch(_ direction: PolicyDirection) -> [String: DispatchVerdict] {
        dispatch[direction] ?? [:]
    }

    /// The name of the chain holding `interface`'s rules for `direction`.
    public static func chainName(_ direction: PolicyDirection, interface: String) -> String {
        "\(direction.rawValue)-\(interface)"
    }
}

/// What an endpoint's traffic in one direction goes through.
public enum DispatchVerdict: Hashable, Sendable {
    /// Not isolated in this direction: the traffic goes on to the next check (`return`).
    case open
    /// Isolated: the traffic must pass the chain (`goto`; it returns when allowed, else drops).
    case goto(String)
}

/// One named set: its key type and elements.
public struct PolicySet: Hashable, Sendable {
    /// The set's key type.
    public enum Kind: Hashable, Sendable {
        /// Pod addresses of one family (`ipv4_addr` / `ipv6_addr`).
        case addresses(IPFamily)
        /// Address, protocol and port of one family: the named ports of peer pods for egress.
        case addressPorts(IPFamily)
        /// Prefixes of one family (an interval set): the ipBlocks of a rule, `except` removed.
        case prefixes(IPFamily)
    }

    /// One element.
    public enum Element: Hashable, Sendable, Comparable {
        /// A pod address.
        case address(IPAddress)
        /// A pod address, protocol and port number.
        case addressPort(IPAddress, PolicyProtocol, Int)
        /// A prefix of an ipBlock.
        case prefix(IPPrefix)

        /// By address, then protocol and port.
        public static func < (lhs: Element, rhs: Element) -> Bool {
            lhs.sortKey < rhs.sortKey
        }

        private var sortKey: (IPAddress, Int, Int) {
            switch self {
            case .address(let address): (address, -1, -1)
            case .addressPort(let address, let proto, let port): (address, PolicyProtocol.allCases.firstIndex(of: proto)!, port)
            case .prefix(let prefix): (prefix.address, -1, prefix.length)
            }
        }
    }

    /// What the elements are.
    public var kind: Kind
    /// The elements (an empty set is still defined, so rules can reference it).
    public var elements: Set<Element>

    /// Memberwise initialiser.
    public init(kind: Kind, elements: Set<Element> = []) {
        self.kind = kind
        self.elements = elements
    }
}
