import Foundation
import NetworkModel
@testable import Policy

/// The cluster of the upstream conformance suite (kubernetes test/e2e/network/netpol): three
/// namespaces x, y, z with three pods a, b, c each (label `pod=<name>`, namespace label
/// `ns=<name>`), every pod serving TCP, UDP and SCTP on 80 and 81 through named container ports
/// `serve-80-tcp`, ... . Pods are dual-stack: x/a is 10.244.1.1 and fd00:1::1, z/c 10.244.3.3.
/// The tests put every pod on one node (each with host veth `trl<ns><pod>`), so one ruleset
/// holds both ends of every connection.
enum TestCluster {
    static let namespaceNames = ["x", "y", "z"]
    static let podNames = ["a", "b", "c"]

    static let namespaces = namespaceNames.map { PolicyNamespace(name: $0, labels: ["ns": $0]) }

    static var pods: [PolicyPod] {
        namespaceNames.enumerated().flatMap { n, namespace in
            podNames.enumerated().map { p, name in
                PolicyPod(namespace: namespace, name: name, labels: ["pod": name],
                          addresses: [IPAddress("10.244.\(n + 1).\(p + 1)")!, IPAddress("fd00:\(n + 1)::\(p + 1)")!],
                          ports: servingPorts)
            }
        }
    }

    static let servingPorts: [ContainerPort] = [80, 81].flatMap { number in
        PolicyProtocol.allCases.map { ContainerPort(name: "serve-\(number)-\($0.rawValue)", number: number, protocol: $0) }
    }

    /// `x/a` style identities of every pod.
    static var podIDs: [String] { namespaceNames.flatMap { ns in podNames.map { "\(ns)/\($0)" } } }

    static func pod(_ id: String) -> PolicyPod {
        pods.first { $0.id.description == id }!
    }

    static func interface(_ id: String) -> String {
        "trl" + id.replacingOccurrences(of: "/", with: "")
    }

    static func endpoint(_ pod: PolicyPod) -> PolicyEndpoint {
        PolicyEndpoint(interface: interface(pod.id.description), pod: pod.id, addresses: pod.addresses)
    }

    /// The whole cluster on one node, under `policies`.
    static func input(_ policies: [NetworkPolicy], pods: [PolicyPod] = pods,
                      namespaces: [PolicyNamespace] = namespaces) -> PolicyCompiler.Input {
        PolicyCompiler.Input(policies: policies, pods: pods, namespaces: namespaces, endpoints: pods.map(endpoint))
    }

    static func compile(_ policies: [NetworkPolicy], pods: [PolicyPod] = pods,
                        namespaces: [PolicyNamespace] = namespaces) -> PolicyRuleset {
        PolicyCompiler.compile(input(policies, pods: pods, namespaces: namespaces))
    }
}

/// Shorthands for writing policies as the upstream tests do.
extension NetworkPolicy {
    static func ingress(_ name: String, in namespace: String = "x", selecting pods: LabelSelector = .everything,
                        _ rules: [PolicyRule]) -> NetworkPolicy {
        NetworkPolicy(namespace: namespace, name: name, podSelector: pods, policyTypes: [.ingress], ingress: rules)
    }

    static func egress(_ name: String, in namespace: String = "x", selecting pods: LabelSelector = .everything,
                       _ rules: [PolicyRule]) -> NetworkPolicy {
        NetworkPolicy(namespace: namespace, name: name, podSelector: pods, policyTypes: [.egress], egress: rules)
    }
}

extension LabelSelector {
    static func pod(_ name: String) -> LabelSelector { LabelSelector(matchLabels: ["pod": name]) }
    static func ns(_ name: String) -> LabelSelector { LabelSelector(matchLabels: ["ns": name]) }
}

extension PolicyPeer {
    static func pods(_ selector: LabelSelector) -> PolicyPeer { .pods(selector, namespaces: nil) }
    static func namespaces(_ selector: LabelSelector) -> PolicyPeer { .pods(nil, namespaces: selector) }
}

/// The expected outcome of every pod-to-pod connection on one protocol and port, built as the
/// upstream `Reachability` is: everything allowed, then rows and columns changed.
struct Reachability: CustomStringConvertible {
    private(set) var allowed: [String: Set<String>]

    init(_ everything: Bool = true) {
        allowed = Dictionary(uniqueKeysWithValues: TestCluster.podIDs.map { ($0, everything ? Set(TestCluster.podIDs) : []) })
    }

    mutating func expect(from: String, to: String, _ value: Bool) {
        if value { allowed[from]!.insert(to) } else { allowed[from]!.remove(to) }
    }

    /// Every connection into `to` (from other pods).
    mutating func expectIngress(to: String, _ value: Bool) {
        for from in TestCluster.podIDs { expect(from: from, to: to, value) }
    }

    /// Every connection out of `from`.
    mutating func expectEgress(from: String, _ value: Bool) {
        for to in TestCluster.podIDs { expect(from: from, to: to, value) }
    }

    /// The matrix a ruleset gives, probing every ordered pair of different pods over IPv4 and
    /// IPv6; a pair whose families disagree is reported as `?`.
    static func observed(_ ruleset: PolicyRuleset, _ proto: PolicyProtocol = .tcp, port: Int = 80) throws -> Reachability {
        var result = Reachability(false)
        let evaluator = PacketEvaluator(ruleset: ruleset)
        for from in TestCluster.podIDs {
            for to in TestCluster.podIDs where to != from {
                let verdicts = try IPFamily.allCases.map { family in
                    let source = TestCluster.pod(from).addresses.first { $0.family == family }!
                    let destination = TestCluster.pod(to).addresses.first { $0.family == family }!
                    return try evaluator.allows(Packet(inputInterface: TestCluster.interface(from), outputInterface: TestCluster.interface(to),
                                                       source: source, destination: destination, protocol: proto, port: port))
                }
                if verdicts[0] != verdicts[1] { throw MatrixError.familiesDisagree(from: from, to: to) }
                result.expect(from: from, to: to, verdicts[0])
            }
        }
        return result
    }

    /// Compared without self connections, which never cross the node.
    func matches(_ other: Reachability) -> Bool {
        TestCluster.podIDs.allSatisfy { allowed[$0]!.subtracting([$0]) == other.allowed[$0]!.subtracting([$0]) }
    }

    /// The matrix as the upstream suite prints it: a row per source, `.` allowed, `X` denied.
    var description: String {
        let header = "\t" + TestCluster.podIDs.joined(separator: "\t")
        let rows = TestCluster.podIDs.map { from in
            from + "\t" + TestCluster.podIDs.map { to in to == from ? "-" : (allowed[from]!.contains(to) ? "." : "X") }.joined(separator: "\t")
        }
        return ([header] + rows).joined(separator: "\n")
    }
}

enum MatrixError: Error {
    case familiesDisagree(from: String, to: String)
}
