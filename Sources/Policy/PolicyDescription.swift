/// Policies in words, for operators (`cnictl policy`): one sentence per rule, saying whom it
/// lets in or out and on which ports, in the terms of the manifest.
extension NetworkPolicy {
    /// What this policy allows in `direction`, one sentence per rule; a single "nothing" when
    /// it isolates the direction without any rule.
    public func allows(_ direction: PolicyDirection) -> [String] {
        let rules = rules(direction)
        guard !rules.isEmpty else { return ["\(id): nothing"] }
        return rules.map { "\(id): \($0.summary(direction, namespace: namespace))" }
    }
}

extension PolicyRule {
    /// `from pods app=web in this namespace, or 10.0.0.0/8 except 10.1.0.0/16, on TCP 80`.
    func summary(_ direction: PolicyDirection, namespace: String) -> String {
        let word = direction == .ingress ? "from" : "to"
        let whom = peers.isEmpty ? "anywhere" : peers.map { $0.summary(namespace: namespace) }.joined(separator: ", or ")
        let on = ports.isEmpty ? "on every port" : "on " + ports.map(\.summary).joined(separator: ", ")
        return "\(word) \(whom) \(on)"
    }
}

extension PolicyPeer {
    func summary(namespace: String) -> String {
        switch self {
        case .ipBlock(let cidr, let except):
            return except.isEmpty ? "\(cidr)" : "\(cidr) except \(except.map(\.description).joined(separator: ", "))"
        case .pods(let pods, let namespaces):
            let podText = pods.map { $0 == .everything ? "every pod" : "pods \($0.summary)" } ?? "every pod"
            let namespaceText = namespaces.map { $0 == .everything ? "in every namespace" : "in namespaces \($0.summary)" }
                ?? "in \(namespace)"
            return "\(podText) \(namespaceText)"
        }
    }
}

extension LabelSelector {
    /// `app=web,tier in (a,b),!legacy`: the canonical text without its braces.
    var summary: String { String(canonical.dropFirst().dropLast()) }
}

extension PolicyPort {
    /// `TCP 80`, `UDP 8000-8100`, `TCP port named http`, `SCTP` (every port).
    var summary: String {
        let proto = self.protocol.rawValue.uppercased()
        switch port {
        case nil: return proto
        case .numbers(let range): return range.count == 1 ? "\(proto) \(range.lowerBound)" : "\(proto) \(range.lowerBound)-\(range.upperBound)"
        case .named(let name): return "\(proto) port named \(name)"
        }
    }
}
