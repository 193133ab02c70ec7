import Cluster
import NetworkModel
import Policy

/// Kubernetes API objects (`Cluster`'s decoded Pods, Namespaces and NetworkPolicies) as the
/// plain values the `Policy` compiler takes. This is the only place that knows both, so the
/// compiler never sees JSON shapes and the API client never sees policy semantics.
public enum KubePolicyTranslation {
    /// The pod as policy sees it; nil for an object without a name or namespace. A pod that
    /// has finished (`Succeeded`, `Failed`) keeps no addresses: they may already be another
    /// pod's. Addresses that do not parse are left out; so are unnamed container ports.
    public static func pod(_ pod: KubePod) -> PolicyPod? {
        guard let name = pod.metadata.name, let namespace = pod.metadata.namespace else { return nil }
        let finished = ["Succeeded", "Failed"].contains(pod.status?.phase)
        let texts = pod.status?.podIPs?.map(\.ip) ?? pod.status?.podIP.map { [$0] } ?? []
        let ports = (pod.spec?.containers ?? []).flatMap { $0.ports ?? [] }.compactMap { port -> ContainerPort? in
            guard let portName = port.name, let proto = policyProtocol(port.protocol) else { return nil }
            return ContainerPort(name: portName, number: port.containerPort, protocol: proto)
        }
        return PolicyPod(namespace: namespace, name: name, labels: pod.metadata.labels ?? [:],
                         addresses: finished ? [] : texts.compactMap(IPAddress.init),
                         hostNetwork: pod.spec?.hostNetwork ?? false, ports: ports)
    }

    /// The namespace as policy sees it; nil for an object without a name.
    public static func namespace(_ namespace: KubeNamespace) -> PolicyNamespace? {
        namespace.metadata.name.map { PolicyNamespace(name: $0, labels: namespace.metadata.labels ?? [:]) }
    }

    /// A policy and what could not be understood in it.
    public struct Translated: Hashable, Sendable {
        /// The policy; nil when it has no name or namespace.
        public var policy: NetworkPolicy?
        /// One sentence per part left out, naming it (empty for every object the API server
        /// accepted: it validates all of these).
        public var problems: [String]

        /// A translation; every property as documented on the type.
        public init(policy: NetworkPolicy?, problems: [String]) {
            self.policy = policy
            self.problems = problems
        }
    }

    /// The policy, failing closed on anything it cannot understand: a rule holding an invalid
    /// CIDR, protocol or selector operator is left out (it allows nothing), and a pod selector
    /// with an unknown operator selects every pod of the namespace (they stay isolated).
    /// `policyTypes` omitted is defaulted as the API server does.
    public static func policy(_ kube: KubeNetworkPolicy) -> Translated {
        guard let name = kube.metadata.name, let namespace = kube.metadata.namespace else {
            return Translated(policy: nil, problems: ["a NetworkPolicy without a name or namespace"])
        }
        var problems: [String] = []
        let spec = kube.spec
        let podSelector: LabelSelector
        do throws(Invalid) {
            podSelector = try selector(spec.podSelector)
        } catch {
            problems.append("spec.podSelector: \(error.reason); selecting every pod of \(namespace)")
            podSelector = .everything
        }
        var types: Set<PolicyDirection> = []
        for text in spec.policyTypes ?? [] {
            switch text {
            case "Ingress": types.insert(.ingress)
            case "Egress": types.insert(.egress)
            default: problems.append("spec.policyTypes: unknown type \(text)")
            }
        }
        if spec.policyTypes?.isEmpty ?? true {
            types = NetworkPolicy.defaultPolicyTypes(egressRules: spec.egress?.count ?? 0)
        }
        func rules(_ list: [(peers: [KubeNetworkPolicy.Peer]?, ports: [KubeNetworkPolicy.Port]?)], _ field: String) -> [PolicyRule] {
            list.enumerated().compactMap { index, rule in
                do throws(Invalid) {
                    return try self.rule(peers: rule.peers ?? [], ports: rule.ports ?? [])
                } catch {
                    problems.append("spec.\(field)[\(index)]: \(error.reason); the rule allows nothing")
                    return nil
                }
            }
        }
        let ingress = rules((spec.ingress ?? []).map { ($0.from, $0.ports) }, "ingress")
        let egress = rules((spec.egress ?? []).map { ($0.to, $0.ports) }, "egress")
        return Translated(policy: NetworkPolicy(namespace: namespace, name: name, podSelector: podSelector,
                                                policyTypes: types, ingress: ingress, egress: egress),
                          problems: problems)
    }

    /// Why part of a policy was left out.
    struct Invalid: Error {
        let reason: String
    }

    private static func rule(peers: [KubeNetworkPolicy.Peer], ports: [KubeNetworkPolicy.Port]) throws(Invalid) -> PolicyRule {
        var rule = PolicyRule()
        for kube in peers { rule.peers.append(try peer(kube)) }
        for kube in ports { rule.ports.append(try port(kube)) }
        return rule
    }

    private static func selector(_ kube: KubeLabelSelector) throws(Invalid) -> LabelSelector {
        var requirements: [LabelRequirement] = []
        for expression in kube.matchExpressions ?? [] {
            let values = Set(expression.values ?? [])
            let op: LabelRequirement.Operator
            switch expression.operator {
            case "In": op = .in(values)
            case "NotIn": op = .notIn(values)
            case "Exists": op = .exists
            case "DoesNotExist": op = .doesNotExist
            default: throw Invalid(reason: "unknown selector operator \(expression.operator)")
            }
            requirements.append(LabelRequirement(key: expression.key, operator: op))
        }
        return LabelSelector(matchLabels: kube.matchLabels ?? [:], matchExpressions: requirements)
    }

    private static func peer(_ kube: KubeNetworkPolicy.Peer) throws(Invalid) -> PolicyPeer {
        if let block = kube.ipBlock {
            guard let cidr = IPPrefix(block.cidr) else { throw Invalid(reason: "invalid CIDR \(block.cidr)") }
            var except: [IPPrefix] = []
            for text in block.except ?? [] {
                guard let prefix = IPPrefix(text) else { throw Invalid(reason: "invalid CIDR \(text)") }
                except.append(prefix)
            }
            return .ipBlock(cidr: cidr, except: except)
        }
        guard kube.podSelector != nil || kube.namespaceSelector != nil else {
            throw Invalid(reason: "a peer with neither selectors nor ipBlock")
        }
        return .pods(try kube.podSelector.map(selector), namespaces: try kube.namespaceSelector.map(selector))
    }

    private static func port(_ kube: KubeNetworkPolicy.Port) throws(Invalid) -> PolicyPort {
        guard let proto = policyProtocol(kube.protocol) else {
            throw Invalid(reason: "unknown protocol \(kube.protocol ?? "")")
        }
        switch kube.port {
        case nil: return PolicyPort(proto)
        case .string(let name): return PolicyPort(proto, .named(name))
        case .int(let number):
            let end = kube.endPort ?? number
            guard (1...65535).contains(number), (number...65535).contains(end) else {
                throw Invalid(reason: "invalid port range \(number)-\(end)")
            }
            return PolicyPort(proto, .numbers(number...end))
        }
    }

    /// `TCP` (also when omitted, as the API server defaults), `UDP`, `SCTP`; nil otherwise.
    private static func policyProtocol(_ text: String?) -> PolicyProtocol? {
        switch text ?? "TCP" {
        case "TCP": .tcp
        case "UDP": .udp
        case "SCTP": .sctp
        default: nil
        }
    }
}
