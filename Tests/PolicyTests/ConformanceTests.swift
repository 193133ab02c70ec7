import NetworkModel
@testable import Policy
import Testing

/// The cases of the upstream conformance suite (kubernetes test/e2e/network/netpol/
/// network_policy.go) as reachability matrices over the compiled ruleset: nine pods in x, y, z,
/// every ordered pair probed over IPv4 and IPv6 on the case's protocol and port.
@Suite("conformance cases as reachability matrices")
struct ConformanceTests {
    private func check(_ policies: [NetworkPolicy], over proto: PolicyProtocol = .tcp, port: Int = 80,
                       pods: [PolicyPod] = TestCluster.pods, namespaces: [PolicyNamespace] = TestCluster.namespaces,
                       _ expected: Reachability, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ruleset = TestCluster.compile(policies, pods: pods, namespaces: namespaces)
        let observed = try Reachability.observed(ruleset, proto, port: port)
        #expect(observed.matches(expected), "expected\n\(expected)\nobserved\n\(observed)", sourceLocation: sourceLocation)
    }

    private let allowAll = Reachability()

    @Test("no policy: everything connects")
    func noPolicy() throws {
        try check([], allowAll)
    }

    @Test("default-deny-ingress: nothing reaches x's pods")
    func defaultDenyIngress() throws {
        var expected = allowAll
        for pod in ["x/a", "x/b", "x/c"] { expected.expectIngress(to: pod, false) }
        try check([.ingress("deny-ingress", [])], expected)
    }

    @Test("default-deny-all: x's pods neither receive nor send")
    func defaultDenyAll() throws {
        var expected = allowAll
        for pod in ["x/a", "x/b", "x/c"] {
            expected.expectIngress(to: pod, false)
            expected.expectEgress(from: pod, false)
        }
        let policy = NetworkPolicy(namespace: "x", name: "deny-all", policyTypes: [.ingress, .egress])
        try check([policy], expected)
        try check([policy], over: .udp, port: 81, expected)
    }

    @Test("allow-all ingress [{}] opens a namespace that a deny isolates")
    func allowAllIngress() throws {
        try check([.ingress("deny-ingress", []), .ingress("allow-all", [PolicyRule()])], allowAll)
    }

    @Test("podSelector peer: only x/b reaches x/a")
    func podSelectorWithinNamespace() throws {
        var expected = allowAll
        expected.expectIngress(to: "x/a", false)
        expected.expect(from: "x/b", to: "x/a", true)
        try check([.ingress("x-a-from-x-b", selecting: .pod("a"), [PolicyRule(peers: [.pods(.pod("b"))])])], expected)
    }

    @Test("namespaceSelector {}: pods of every namespace reach x/a")
    func allNamespaces() throws {
        let policy = NetworkPolicy.ingress("all-ns", selecting: .pod("a"), [PolicyRule(peers: [.namespaces(.everything)])])
        try check([policy], allowAll)
    }

    @Test("namespaceSelector ns=y: only y's pods reach x's pods")
    func namespaceSelector() throws {
        var expected = allowAll
        for to in ["x/a", "x/b", "x/c"] {
            expected.expectIngress(to: to, false)
            for from in ["y/a", "y/b", "y/c"] { expected.expect(from: from, to: to, true) }
        }
        try check([.ingress("from-y", [PolicyRule(peers: [.namespaces(.ns("y"))])])], expected)
    }

    @Test("the default kubernetes.io/metadata.name label selects a namespace")
    func defaultNamespaceLabel() throws {
        var expected = allowAll
        for to in ["x/a", "x/b", "x/c"] {
            expected.expectIngress(to: to, false)
            for from in ["y/a", "y/b", "y/c"] { expected.expect(from: from, to: to, true) }
        }
        let byName = LabelSelector(matchLabels: [PolicyNamespace.nameLabel: "y"])
        try check([.ingress("from-y", [PolicyRule(peers: [.namespaces(byName)])])], expected)
    }

    @Test("podSelector matchExpressions In: x/b and x/c reach x/a")
    func podMatchExpressions() throws {
        var expected = allowAll
        expected.expectIngress(to: "x/a", false)
        expected.expect(from: "x/b", to: "x/a", true)
        expected.expect(from: "x/c", to: "x/a", true)
        let selector = LabelSelector(matchExpressions: [LabelRequirement(key: "pod", operator: .in(["b", "c"]))])
        try check([.ingress("in", selecting: .pod("a"), [PolicyRule(peers: [.pods(selector)])])], expected)
    }

    @Test("namespaceSelector matchExpressions NotIn x: y and z reach x/a, x does not")
    func namespaceMatchExpressions() throws {
        var expected = allowAll
        expected.expectIngress(to: "x/a", false)
        for from in ["y/a", "y/b", "y/c", "z/a", "z/b", "z/c"] { expected.expect(from: from, to: "x/a", true) }
        let selector = LabelSelector(matchExpressions: [LabelRequirement(key: "ns", operator: .notIn(["x"]))])
        try check([.ingress("not-x", selecting: .pod("a"), [PolicyRule(peers: [.namespaces(selector)])])], expected)
    }

    @Test("Exists and DoesNotExist select by the presence of a label")
    func existsAndDoesNotExist() throws {
        var pods = TestCluster.pods
        pods[pods.firstIndex { $0.id.description == "y/b" }!].labels["tier"] = "web"
        var expected = allowAll
        expected.expectIngress(to: "x/a", false)
        expected.expect(from: "y/b", to: "x/a", true)
        let exists = LabelSelector(matchExpressions: [LabelRequirement(key: "tier", operator: .exists)])
        try check([.ingress("tier", selecting: .pod("a"), [PolicyRule(peers: [.pods(exists, namespaces: .everything)])])],
                  pods: pods, expected)
        var inverse = allowAll
        inverse.expectIngress(to: "x/a", true)
        inverse.expect(from: "y/b", to: "x/a", false)
        let absent = LabelSelector(matchExpressions: [LabelRequirement(key: "tier", operator: .doesNotExist)])
        try check([.ingress("no-tier", selecting: .pod("a"), [PolicyRule(peers: [.pods(absent, namespaces: .everything)])])],
                  pods: pods, inverse)
    }

    @Test("podSelector or namespaceSelector (two peers): x/b and every pod of y reach x/a")
    func podOrNamespace() throws {
        var expected = allowAll
        expected.expectIngress(to: "x/a", false)
        for from in ["x/b", "y/a", "y/b", "y/c"] { expected.expect(from: from, to: "x/a", true) }
        try check([.ingress("or", selecting: .pod("a"), [PolicyRule(peers: [.pods(.pod("b")), .namespaces(.ns("y"))])])], expected)
    }

    @Test("podSelector and namespaceSelector (one peer): only y/b and z/b reach x/a")
    func podAndNamespace() throws {
        var expected = allowAll
        expected.expectIngress(to: "x/a", false)
        expected.expect(from: "y/b", to: "x/a", true)
        expected.expect(from: "z/b", to: "x/a", true)
        let notX = LabelSelector(matchExpressions: [LabelRequirement(key: "ns", operator: .notIn(["x"]))])
        try check([.ingress("and", selecting: .pod("a"), [PolicyRule(peers: [.pods(.pod("b"), namespaces: notX)])])], expected)
    }

    @Test("multiple pod and namespace selectors: b or c pods of y and z reach x/a")
    func multipleSelectors() throws {
        var expected = allowAll
        expected.expectIngress(to: "x/a", false)
        for from in ["y/b", "y/c", "z/b", "z/c"] { expected.expect(from: from, to: "x/a", true) }
        let notX = LabelSelector(matchExpressions: [LabelRequirement(key: "ns", operator: .notIn(["x"]))])
        let bOrC = LabelSelector(matchExpressions: [LabelRequirement(key: "pod", operator: .in(["b", "c"]))])
        try check([.ingress("multi", selecting: .pod("a"), [PolicyRule(peers: [.pods(bOrC, namespaces: notX)])])], expected)
    }

    @Test("ports: a policy for 81 only opens 81, not 80")
    func portsOnly81() throws {
        var denied80 = allowAll
        for from in ["y/a", "y/b", "y/c", "z/a", "z/b", "z/c", "x/b", "x/c"] { denied80.expect(from: from, to: "x/a", false) }
        let policy = NetworkPolicy.ingress("port-81", selecting: .pod("a"),
                                           [PolicyRule(peers: [.namespaces(.everything)], ports: [PolicyPort(.tcp, .numbers(81...81))])])
        try check([policy], port: 80, denied80)
        try check([policy], port: 81, allowAll)
    }

    @Test("stacked policies with overlapping selectors: 80 and 81 are both open (union)")
    func stackedPolicies() throws {
        let on80 = NetworkPolicy.ingress("on-80", selecting: .pod("a"),
                                         [PolicyRule(peers: [.namespaces(.everything)], ports: [PolicyPort(.tcp, .numbers(80...80))])])
        let on81 = NetworkPolicy.ingress("on-81", selecting: .pod("a"),
                                         [PolicyRule(peers: [.namespaces(.everything)], ports: [PolicyPort(.tcp, .numbers(81...81))])])
        try check([on80, on81], port: 80, allowAll)
        try check([on80, on81], port: 81, allowAll)
        var closed = allowAll
        closed.expectIngress(to: "x/a", false)
        try check([on80, on81], port: 82, closed)
    }

    @Test("a named ingress port resolves to the selected pod's container port")
    func namedIngressPort() throws {
        let policy = NetworkPolicy.ingress("named", selecting: .pod("a"),
                                           [PolicyRule(peers: [.namespaces(.everything)], ports: [PolicyPort(.tcp, .named("serve-80-tcp"))])])
        try check([policy], port: 80, allowAll)
        var closed = allowAll
        closed.expectIngress(to: "x/a", false)
        try check([policy], port: 81, closed)
        try check([policy], over: .udp, port: 80, closed)
    }

    @Test("a named egress port resolves against the peer's container ports")
    func namedEgressPort() throws {
        var pods = TestCluster.pods
        // y/b serves its "serve-80-tcp" on 8080: egress to that name reaches it there, not on 80.
        pods[pods.firstIndex { $0.id.description == "y/b" }!].ports = [ContainerPort(name: "serve-80-tcp", number: 8080)]
        let policy = NetworkPolicy.egress("named-out", selecting: .pod("a"), [PolicyRule(ports: [PolicyPort(.tcp, .named("serve-80-tcp"))])])
        var on80 = allowAll
        on80.expect(from: "x/a", to: "y/b", false)
        try check([policy], port: 80, pods: pods, on80)
        var on8080 = Reachability()
        on8080.expectEgress(from: "x/a", false)
        on8080.expect(from: "x/a", to: "y/b", true)
        try check([policy], port: 8080, pods: pods, on8080)
    }

    @Test("a named port no pod declares opens nothing")
    func unresolvedNamedPort() throws {
        var expected = allowAll
        expected.expectIngress(to: "x/a", false)
        let policy = NetworkPolicy.ingress("nameless", selecting: .pod("a"), [PolicyRule(ports: [PolicyPort(.tcp, .named("no-such-port"))])])
        try check([policy], expected)
    }

    @Test("endPort: 80-81 opens both, not 82")
    func endPort() throws {
        let policy = NetworkPolicy.ingress("range", selecting: .pod("a"), [PolicyRule(ports: [PolicyPort(.tcp, .numbers(80...81))])])
        try check([policy], port: 80, allowAll)
        try check([policy], port: 81, allowAll)
        var closed = allowAll
        closed.expectIngress(to: "x/a", false)
        try check([policy], port: 82, closed)
    }

    @Test("a policy for SCTP never opens TCP or UDP; UDP without a port opens every UDP port")
    func protocols() throws {
        var closed = allowAll
        closed.expectIngress(to: "x/a", false)
        let sctp = NetworkPolicy.ingress("sctp", selecting: .pod("a"), [PolicyRule(ports: [PolicyPort(.sctp, .numbers(80...80))])])
        try check([sctp], over: .sctp, port: 80, allowAll)
        try check([sctp], over: .tcp, port: 80, closed)
        try check([sctp], over: .udp, port: 80, closed)
        let udp = NetworkPolicy.ingress("udp", selecting: .pod("a"), [PolicyRule(ports: [PolicyPort(.udp)])])
        try check([udp], over: .udp, port: 81, allowAll)
        try check([udp], over: .udp, port: 5353, allowAll)
        try check([udp], over: .tcp, port: 80, closed)
    }

    @Test("egress denied by the client's policy even though the server allows it")
    func clientSideEgressDeny() throws {
        var expected = allowAll
        expected.expectEgress(from: "x/a", false)
        let deny = NetworkPolicy.egress("deny-out", selecting: .pod("a"), [])
        let allowIn = NetworkPolicy.ingress("allow-in", in: "y", [PolicyRule()])
        try check([deny, allowIn], expected)
    }

    @Test("egress to a pod in another namespace by pod and namespace selector")
    func egressToOtherNamespace() throws {
        var expected = allowAll
        expected.expectEgress(from: "x/a", false)
        expected.expect(from: "x/a", to: "y/b", true)
        let policy = NetworkPolicy.egress("to-y-b", selecting: .pod("a"), [PolicyRule(peers: [.pods(.pod("b"), namespaces: .ns("y"))])])
        try check([policy], expected)
    }

    @Test("Ingress and Egress in one policy isolate both directions, each with its rules")
    func ingressAndEgressTogether() throws {
        var expected = allowAll
        expected.expectIngress(to: "x/a", false)
        expected.expectEgress(from: "x/a", false)
        expected.expect(from: "x/b", to: "x/a", true)
        expected.expect(from: "x/a", to: "y/a", true)
        let policy = NetworkPolicy(namespace: "x", name: "both", podSelector: .pod("a"), policyTypes: [.ingress, .egress],
                                   ingress: [PolicyRule(peers: [.pods(.pod("b"))])],
                                   egress: [PolicyRule(peers: [.pods(.pod("a"), namespaces: .ns("y"))])])
        try check([policy], expected)
    }

    @Test("ingress and egress isolation are independent: an ingress-only policy leaves egress open")
    func directionsIndependent() throws {
        var expected = allowAll
        expected.expectIngress(to: "x/a", false)
        try check([.ingress("in-only", selecting: .pod("a"), [])], expected)
    }

    @Test("egress allow-all takes precedence over a deny in another policy")
    func egressAllowAllWins() throws {
        let deny = NetworkPolicy.egress("deny", [])
        let allow = NetworkPolicy.egress("allow", [PolicyRule()])
        try check([deny, allow], allowAll)
    }

    @Test("ipBlock: egress to y/a's /32 only")
    func ipBlockEgress() throws {
        var expected = allowAll
        expected.expectEgress(from: "x/a", false)
        expected.expect(from: "x/a", to: "y/a", true)
        let policy = NetworkPolicy.egress("cidr", selecting: .pod("a"), [PolicyRule(peers: [
            .ipBlock(cidr: IPPrefix("10.244.2.1/32")!, except: []), .ipBlock(cidr: IPPrefix("fd00:2::1/128")!, except: []),
        ])])
        try check([policy], expected)
    }

    @Test("ipBlock except: y's /24 minus y/b's address")
    func ipBlockExcept() throws {
        var expected = allowAll
        expected.expectEgress(from: "x/a", false)
        expected.expect(from: "x/a", to: "y/a", true)
        expected.expect(from: "x/a", to: "y/c", true)
        let policy = NetworkPolicy.egress("except", selecting: .pod("a"), [PolicyRule(peers: [
            .ipBlock(cidr: IPPrefix("10.244.2.0/24")!, except: [IPPrefix("10.244.2.2/32")!]),
            .ipBlock(cidr: IPPrefix("fd00:2::/64")!, except: [IPPrefix("fd00:2::2/128")!]),
        ])])
        try check([policy], expected)
    }

    @Test("an address in one rule's except and another rule's cidr is allowed (rules are a union)")
    func exceptOverlappingAnotherRule() throws {
        var expected = allowAll
        expected.expectEgress(from: "x/a", false)
        for to in ["y/a", "y/b", "y/c"] { expected.expect(from: "x/a", to: to, true) }
        let policy = NetworkPolicy.egress("overlap", selecting: .pod("a"), [
            PolicyRule(peers: [.ipBlock(cidr: IPPrefix("10.244.2.0/24")!, except: [IPPrefix("10.244.2.2/32")!]),
                               .ipBlock(cidr: IPPrefix("fd00:2::/64")!, except: [IPPrefix("fd00:2::2/128")!])]),
            PolicyRule(peers: [.ipBlock(cidr: IPPrefix("10.244.2.2/32")!, except: []),
                               .ipBlock(cidr: IPPrefix("fd00:2::2/128")!, except: [])]),
        ])
        try check([policy], expected)
    }

    @Test("a relabelled namespace joins the peers of a namespace selector")
    func updatedNamespace() throws {
        var expected = allowAll
        for to in ["x/a", "x/b", "x/c"] { expected.expectIngress(to: to, false) }
        let policy = NetworkPolicy.ingress("from-team", [PolicyRule(peers: [.namespaces(LabelSelector(matchLabels: ["team": "blue"]))])])
        try check([policy], expected)
        var namespaces = TestCluster.namespaces
        namespaces[1].labels["team"] = "blue"
        for to in ["x/a", "x/b", "x/c"] {
            for from in ["y/a", "y/b", "y/c"] { expected.expect(from: from, to: to, true) }
        }
        try check([policy], namespaces: namespaces, expected)
    }

    @Test("a relabelled pod becomes subject to a policy and leaves it again")
    func updatedPodSubject() throws {
        let policy = NetworkPolicy.ingress("deny-web", selecting: LabelSelector(matchLabels: ["tier": "web"]), [])
        try check([policy], allowAll)
        var pods = TestCluster.pods
        pods[pods.firstIndex { $0.id.description == "x/b" }!].labels["tier"] = "web"
        var expected = allowAll
        expected.expectIngress(to: "x/b", false)
        try check([policy], pods: pods, expected)
    }

    @Test("a relabelled pod joins the peers of a pod selector")
    func updatedPodPeer() throws {
        let policy = NetworkPolicy.ingress("from-client", selecting: .pod("a"), [PolicyRule(peers: [.pods(LabelSelector(matchLabels: ["role": "client"]))])])
        var expected = allowAll
        expected.expectIngress(to: "x/a", false)
        try check([policy], expected)
        var pods = TestCluster.pods
        pods[pods.firstIndex { $0.id.description == "x/c" }!].labels["role"] = "client"
        expected.expect(from: "x/c", to: "x/a", true)
        try check([policy], pods: pods, expected)
    }

    @Test("a deleted policy stops being enforced")
    func deletedPolicy() throws {
        var expected = allowAll
        expected.expectIngress(to: "x/a", false)
        let deny = NetworkPolicy.ingress("deny", selecting: .pod("a"), [])
        try check([deny], expected)
        try check([], allowAll)
    }

    @Test("podSelector {} as a peer means the policy's own namespace: other namespaces are denied")
    func denyOtherNamespaces() throws {
        var expected = allowAll
        for to in ["x/a", "x/b", "x/c"] {
            for from in ["y/a", "y/b", "y/c", "z/a", "z/b", "z/c"] { expected.expect(from: from, to: to, false) }
        }
        try check([.ingress("same-ns", [PolicyRule(peers: [.pods(.everything)])])], expected)
    }

    @Test("any of several pod selectors (two peers): x/b and x/c reach x/a")
    func anyPodSelector() throws {
        var expected = allowAll
        expected.expectIngress(to: "x/a", false)
        expected.expect(from: "x/b", to: "x/a", true)
        expected.expect(from: "x/c", to: "x/a", true)
        try check([.ingress("b-or-c", selecting: .pod("a"), [PolicyRule(peers: [.pods(.pod("b")), .pods(.pod("c"))])])], expected)
    }
}
