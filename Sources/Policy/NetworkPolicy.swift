import NetworkModel

/// A direction of traffic relative to the pod a policy selects.
public enum PolicyDirection: String, Hashable, Sendable, CaseIterable, Comparable {
    /// Traffic to the pod.
    case ingress
    /// Traffic from the pod.
    case egress

    /// Ingress first, as the API lists them.
    public static func < (lhs: PolicyDirection, rhs: PolicyDirection) -> Bool {
        lhs == .ingress && rhs == .egress
    }
}

/// One `networking.k8s.io/v1` NetworkPolicy as plain values, after the API server's defaulting:
/// `policyTypes` is explicit (see `defaultPolicyTypes(egressRules:)`), every port has its protocol.
public struct NetworkPolicy: Hashable, Sendable {
    /// The policy's namespace: it selects pods there, and pod selectors in its peers without a
    /// namespace selector look there.
    public var namespace: String
    /// The policy's name.
    public var name: String
    /// The pods (of `namespace`) the policy applies to; `.everything` for all of them.
    public var podSelector: LabelSelector
    /// The directions in which the selected pods are isolated (`spec.policyTypes`).
    public var policyTypes: Set<PolicyDirection>
    /// What may reach the selected pods; empty allows nothing (only meaningful when isolated).
    public var ingress: [PolicyRule]
    /// Where the selected pods may send; empty allows nothing (only meaningful when isolated).
    public var egress: [PolicyRule]

    /// Memberwise initialiser.
    public init(namespace: String, name: String, podSelector: LabelSelector = .everything,
                policyTypes: Set<PolicyDirection>, ingress: [PolicyRule] = [], egress: [PolicyRule] = []) {
        self.namespace = namespace
        self.name = name
        self.podSelector = podSelector
        self.policyTypes = policyTypes
        self.ingress = ingress
        self.egress = egress
    }

    /// `namespace/name`.
    public var id: String { "\(namespace)/\(name)" }

    /// What the API server fills in when `spec.policyTypes` is omitted: always Ingress, and
    /// Egress too when the policy has egress rules.
    public static func defaultPolicyTypes(egressRules: Int) -> Set<PolicyDirection> {
        egressRules > 0 ? [.ingress, .egress] : [.ingress]
    }

    /// The rules for `direction`.
    public func rules(_ direction: PolicyDirection) -> [PolicyRule] {
        direction == .ingress ? ingress : egress
    }
}

/// One ingress or egress rule: traffic to or from any of `peers` on any of `ports`.
public struct PolicyRule: Hashable, Sendable {
    /// The other end (`from` / `to`); empty means every address.
    public var peers: [PolicyPeer]
    /// The ports (on the selected pod for ingress, on the peer for egress); empty means all.
    public var ports: [PolicyPort]

    /// Memberwise initialiser; the defaults (`{}`) allow everything.
    public init(peers: [PolicyPeer] = [], ports: [PolicyPort] = []) {
        self.peers = peers
        self.ports = ports
    }
}

/// One `from` / `to` entry.
public enum PolicyPeer: Hashable, Sendable {
    /// Pods matching `pods` in namespaces matching `namespaces`. A nil `namespaces` means the
    /// policy's own namespace; a nil `pods` means every pod of the matching namespaces. Both set
    /// means both must match (AND).
    case pods(LabelSelector?, namespaces: LabelSelector?)
    /// Addresses in `cidr` but not in any of `except` (pod addresses included).
    case ipBlock(cidr: IPPrefix, except: [IPPrefix])
}

/// A transport protocol a policy port names.
public enum PolicyProtocol: String, Hashable, Sendable, CaseIterable, Comparable {
    /// TCP, and nftables' name for it.
    case tcp
    /// UDP.
    case udp
    /// SCTP (a rule for it never matches TCP).
    case sctp

    /// TCP, UDP, SCTP: the order rules are written in.
    public static func < (lhs: PolicyProtocol, rhs: PolicyProtocol) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One `ports` entry: a protocol and an optional port, range or named port.
public struct PolicyPort: Hashable, Sendable {
    /// Which port(s) of `protocol`.
    public enum Port: Hashable, Sendable {
        /// `port` up to `endPort` (equal bounds for a single port).
        case numbers(ClosedRange<Int>)
        /// A container port name, resolved against the pod that owns the port.
        case named(String)
    }

    /// The protocol (`TCP` when the manifest omits it, as the API server defaults).
    public var `protocol`: PolicyProtocol
    /// The port; nil means every port of the protocol.
    public var port: Port?

    /// Memberwise initialiser.
    public init(_ protocol: PolicyProtocol = .tcp, _ port: Port? = nil) {
        self.protocol = `protocol`
        self.port = port
    }
}
