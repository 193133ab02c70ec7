import NetworkModel
@testable import Policy
import Testing

/// The chains the compiler writes, as golden text. `lines(_:_:_:)` shows a set reference with
/// the set's elements (`@{10.244.2.1, ...}`), so a golden states both the rule and its members.
@Suite("the policy compiler")
struct CompilerTests {
    private func lines(_ ruleset: PolicyRuleset, _ direction: PolicyDirection, _ pod: String) -> [String]? {
        guard case .goto(let chain)? = ruleset.dispatch(direction)[TestCluster.interface(pod)] else { return nil }
        return ruleset.chains[chain]?.map { line in
            line.split(separator: " ").map { word in
                guard word.hasPrefix("@"), let set = ruleset.sets[String(word.dropFirst())] else { return String(word) }
                return "@{" + set.elements.sorted().map(\.nftText).joined(separator: ", ") + "}"
            }.joined(separator: " ")
        }
    }

    @Test("pods no policy selects get `return` in both maps; selected pods go to their chains")
    func dispatch() {
        let ruleset = TestCluster.compile([.ingress("deny", selecting: .pod("a"), [])])
        #expect(ruleset.dispatch(.ingress)["trlxa"] == .goto("ingress-trlxa"))
        #expect(ruleset.dispatch(.egress)["trlxa"] == .open)
        #expect(ruleset.dispatch(.ingress)["trlxb"] == .open)
        #expect(ruleset.dispatch(.ingress).count == 9 && ruleset.dispatch(.egress).count == 9)
        #expect(ruleset.chains.keys.sorted() == ["ingress-trlxa"])
    }

    @Test("ingress [] is a bare drop, [{}] returns everything")
    func emptyAndAllowAll() {
        #expect(lines(TestCluster.compile([.ingress("deny", [])]), .ingress, "x/a") == ["counter drop"])
        #expect(lines(TestCluster.compile([.ingress("all", [PolicyRule()])]), .ingress, "x/a") == ["return", "counter drop"])
    }

    @Test("golden: pod and namespace selectors, numbered, ranged and named ports, per family")
    func goldenIngress() {
        let policy = NetworkPolicy.ingress("web", selecting: .pod("a"), [
            PolicyRule(peers: [.pods(.pod("b")), .pods(.pod("c"), namespaces: .ns("y"))],
                       ports: [PolicyPort(.tcp, .numbers(80...80)), PolicyPort(.tcp, .numbers(8000...8080)),
                               PolicyPort(.udp, .named("serve-81-udp")), PolicyPort(.sctp)]),
        ])
        #expect(lines(TestCluster.compile([policy]), .ingress, "x/a") == [
            "ip saddr @{10.244.1.2, 10.244.2.3} tcp dport 80 return",
            "ip saddr @{10.244.1.2, 10.244.2.3} tcp dport 8000-8080 return",
            "ip saddr @{10.244.1.2, 10.244.2.3} udp dport 81 return",
            "ip saddr @{10.244.1.2, 10.244.2.3} meta l4proto sctp return",
            "ip6 saddr @{fd00:1::2, fd00:2::3} tcp dport 80 return",
            "ip6 saddr @{fd00:1::2, fd00:2::3} tcp dport 8000-8080 return",
            "ip6 saddr @{fd00:1::2, fd00:2::3} udp dport 81 return",
            "ip6 saddr @{fd00:1::2, fd00:2::3} meta l4proto sctp return",
            "counter drop",
        ])
    }

    @Test("golden: ipBlock with except becomes a named interval set of the covering prefixes, beside the selector sets")
    func goldenIPBlock() {
        let policy = NetworkPolicy.egress("out", selecting: .pod("a"), [
            PolicyRule(peers: [.ipBlock(cidr: IPPrefix("192.168.0.0/22")!, except: [IPPrefix("192.168.1.0/24")!, IPPrefix("10.0.0.0/8")!]),
                               .ipBlock(cidr: IPPrefix("2001:db8::/32")!, except: []),
                               .namespaces(.ns("z"))],
                       ports: [PolicyPort(.udp, .numbers(53...53))]),
        ])
        #expect(lines(TestCluster.compile([policy]), .egress, "x/a") == [
            "ip daddr @{10.244.3.1, 10.244.3.2, 10.244.3.3} udp dport 53 return",
            "ip6 daddr @{fd00:3::1, fd00:3::2, fd00:3::3} udp dport 53 return",
            "ip daddr @{192.168.0.0/24, 192.168.2.0/23} udp dport 53 return",
            "ip6 daddr @{2001:db8::/32} udp dport 53 return",
            "counter drop",
        ])
    }

    @Test("an ipBlock excepted entirely matches nothing")
    func ipBlockExceptedAway() {
        let policy = NetworkPolicy.ingress("none", [PolicyRule(peers: [.ipBlock(cidr: IPPrefix("10.0.0.0/8")!, except: [IPPrefix("0.0.0.0/0")!])])])
        #expect(lines(TestCluster.compile([policy]), .ingress, "x/a") == ["counter drop"])
    }

    @Test("golden: egress to a named port is a set of address . protocol . port of the pods declaring it")
    func goldenNamedEgress() {
        let policy = NetworkPolicy.egress("named", selecting: .pod("a"), [
            PolicyRule(peers: [.pods(.pod("b"), namespaces: .everything)], ports: [PolicyPort(.udp, .named("serve-81-udp"))]),
        ])
        #expect(lines(TestCluster.compile([policy]), .egress, "x/a") == [
            "ip daddr . meta l4proto . th dport @{10.244.1.2 . udp . 81, 10.244.2.2 . udp . 81, 10.244.3.2 . udp . 81} return",
            "ip6 daddr . meta l4proto . th dport @{fd00:1::2 . udp . 81, fd00:2::2 . udp . 81, fd00:3::2 . udp . 81} return",
            "counter drop",
        ])
    }

    @Test("ingress named ports resolve per selected pod: each pod's chain holds its own number")
    func namedIngressPerPod() {
        var pods = TestCluster.pods
        pods[pods.firstIndex { $0.id.description == "x/b" }!].ports = [ContainerPort(name: "http", number: 8080)]
        pods[pods.firstIndex { $0.id.description == "x/c" }!].ports = [ContainerPort(name: "http", number: 9090)]
        let ruleset = TestCluster.compile([.ingress("http", [PolicyRule(ports: [PolicyPort(.tcp, .named("http"))])])], pods: pods)
        #expect(lines(ruleset, .ingress, "x/a") == ["counter drop"])
        #expect(lines(ruleset, .ingress, "x/b") == ["tcp dport 8080 return", "counter drop"])
        #expect(lines(ruleset, .ingress, "x/c") == ["tcp dport 9090 return", "counter drop"])
    }

    @Test("rules of several policies are concatenated in policy order: a union")
    func unionOfPolicies() {
        let ruleset = TestCluster.compile([
            .ingress("b-on-81", selecting: .pod("a"), [PolicyRule(ports: [PolicyPort(.tcp, .numbers(81...81))])]),
            .ingress("a-on-80", selecting: .pod("a"), [PolicyRule(ports: [PolicyPort(.tcp, .numbers(80...80))])]),
        ])
        #expect(lines(ruleset, .ingress, "x/a") == ["tcp dport 80 return", "tcp dport 81 return", "counter drop"])
    }

    @Test("hostNetwork pods are neither subjects nor selector members; pods without addresses are not members")
    func hostNetworkAndAddressless() {
        var pods = TestCluster.pods
        pods[pods.firstIndex { $0.id.description == "x/b" }!].hostNetwork = true
        pods[pods.firstIndex { $0.id.description == "x/c" }!].addresses = []
        let input = PolicyCompiler.Input(policies: [.ingress("from-x", [PolicyRule(peers: [.pods(.everything)])])], pods: pods,
                                         namespaces: TestCluster.namespaces,
                                         endpoints: [TestCluster.endpoint(TestCluster.pod("x/a")), TestCluster.endpoint(pods[1])])
        let ruleset = PolicyCompiler.compile(input)
        #expect(lines(ruleset, .ingress, "x/a") == ["ip saddr @{10.244.1.1} return", "ip6 saddr @{fd00:1::1} return", "counter drop"])
        #expect(ruleset.dispatch(.ingress)["trlxb"] == nil)
    }

    @Test("a local pod is a member with its IPAM addresses before its status publishes them")
    func localAddressesBeforeStatus() {
        var pods = TestCluster.pods
        let index = pods.firstIndex { $0.id.description == "x/b" }!
        let published = pods[index].addresses
        pods[index].addresses = []
        let endpoints = [TestCluster.endpoint(TestCluster.pod("x/a")),
                         PolicyEndpoint(interface: "trlxb", pod: pods[index].id, addresses: published)]
        let ruleset = PolicyCompiler.compile(PolicyCompiler.Input(policies: [.ingress("from-b", selecting: .pod("a"), [PolicyRule(peers: [.pods(.pod("b"))])])],
                                                                  pods: pods, namespaces: TestCluster.namespaces, endpoints: endpoints))
        #expect(lines(ruleset, .ingress, "x/a")?.first == "ip saddr @{10.244.1.2} return")
    }

    @Test("fail closed: an endpoint whose Pod object is unknown gets no dispatch entry")
    func unknownPodFailsClosed() throws {
        let stranger = PolicyEndpoint(interface: "trlnew", pod: PodID(namespace: "x", name: "new"), addresses: [IPAddress("10.244.1.9")!])
        let ruleset = PolicyCompiler.compile(PolicyCompiler.Input(pods: TestCluster.pods, endpoints: [stranger]))
        #expect(ruleset.dispatch(.ingress).isEmpty && ruleset.dispatch(.egress).isEmpty)
        let evaluator = PacketEvaluator(ruleset: ruleset)
        #expect(try !evaluator.allows(Packet(inputInterface: "trlnew", outputInterface: "eth0", source: IPAddress("10.244.1.9")!,
                                             destination: IPAddress("10.244.2.1")!, protocol: .tcp, port: 80)))
        #expect(try !evaluator.allows(Packet(inputInterface: "eth0", outputInterface: "trlnew", source: IPAddress("10.244.2.1")!,
                                             destination: IPAddress("10.244.1.9")!, protocol: .tcp, port: 80)))
    }

    @Test("identical peers share one set, named the same in every compile")
    func sharedStableSets() {
        let first = NetworkPolicy.ingress("one", selecting: .pod("a"), [PolicyRule(peers: [.pods(.pod("b"))])])
        let second = NetworkPolicy.ingress("two", selecting: .pod("c"), [PolicyRule(peers: [.pods(.pod("b"))], ports: [PolicyPort(.udp)])])
        let ruleset = TestCluster.compile([first, second])
        #expect(ruleset.sets.count == 2)
        #expect(ruleset.sets.keys.sorted() == TestCluster.compile([second, first]).sets.keys.sorted())
        #expect(ruleset.sets.keys.allSatisfy { $0.hasPrefix("pods4-") || $0.hasPrefix("pods6-") })
    }

    @Test("policyTypes default as the API server's: Ingress, plus Egress when there are egress rules")
    func defaultPolicyTypes() {
        #expect(NetworkPolicy.defaultPolicyTypes(egressRules: 0) == [.ingress])
        #expect(NetworkPolicy.defaultPolicyTypes(egressRules: 2) == [.ingress, .egress])
    }

    @Test("replicas sharing labels are selected together, per namespace; relabelling one moves only it")
    func replicasSharingLabels() {
        let web = ["app": "web"]
        func replica(_ namespace: String, _ name: String, _ address: String, _ labels: [String: String]) -> PolicyPod {
            PolicyPod(namespace: namespace, name: name, labels: labels, addresses: [IPAddress(address)!])
        }
        let replicas = [replica("x", "web-1", "10.244.9.1", web), replica("x", "web-2", "10.244.9.2", web),
                        replica("y", "web-3", "10.244.9.3", web)]
        let policy = NetworkPolicy.ingress("from-web", selecting: .pod("a"), [
            PolicyRule(peers: [.pods(LabelSelector(matchLabels: web))]),
            PolicyRule(peers: [.pods(LabelSelector(matchLabels: web), namespaces: .everything)]),
        ])
        #expect(lines(TestCluster.compile([policy], pods: TestCluster.pods + replicas), .ingress, "x/a") == [
            "ip saddr @{10.244.9.1, 10.244.9.2} return",
            "ip6 saddr @{} return",
            "ip saddr @{10.244.9.1, 10.244.9.2, 10.244.9.3} return",
            "ip6 saddr @{} return",
            "counter drop",
        ])
        var relabelled = replicas
        relabelled[1].labels = ["app": "db"]
        relabelled[2].labels = ["app": "web", "canary": "true"]
        #expect(lines(TestCluster.compile([policy], pods: TestCluster.pods + relabelled), .ingress, "x/a") == [
            "ip saddr @{10.244.9.1} return",
            "ip6 saddr @{} return",
            "ip saddr @{10.244.9.1, 10.244.9.3} return",
            "ip6 saddr @{} return",
            "counter drop",
        ])
    }

    @Test("a compile through an earlier compile's memo gives what a fresh compile gives; a change touches only its sets")
    func memo() {
        let policies: [NetworkPolicy] = [
            .ingress("from-b", selecting: .pod("a"), [PolicyRule(peers: [.pods(.pod("b")), .pods(.everything, namespaces: .ns("y"))])]),
            .egress("named", selecting: .pod("a"), [PolicyRule(peers: [.namespaces(.ns("z"))], ports: [PolicyPort(.udp, .named("serve-81-udp"))])]),
            .ingress("blocks", selecting: .pod("c"), [PolicyRule(peers: [.ipBlock(cidr: IPPrefix("10.244.0.0/16")!, except: [IPPrefix("10.244.2.0/24")!])])]),
        ]
        var memo = PolicySetMemo()
        let before = PolicyCompiler.compile(TestCluster.input(policies), memo: &memo)
        var pods = TestCluster.pods
        pods[pods.firstIndex { $0.id.description == "x/b" }!].labels = ["pod": "c"]
        pods[pods.firstIndex { $0.id.description == "z/a" }!].addresses = [IPAddress("10.244.3.9")!]
        let changed = TestCluster.input(policies, pods: pods)
        let after = PolicyCompiler.compile(changed, memo: &memo)
        #expect(after == PolicyCompiler.compile(changed))
        #expect(after != before)
        // x/b leaves both pods sets of from-b; z/a's new address changes both named-port sets.
        #expect(after.sets.filter { before.sets[$0.key] != $0.value }.count == 4)
        let unselected = TestCluster.input([policies[2]], pods: pods)
        #expect(PolicyCompiler.compile(unselected, memo: &memo) == PolicyCompiler.compile(unselected))
        #expect(PolicyCompiler.compile(changed, memo: &memo) == after)
        // A replica joins y's pod=a group: the same groups are selected, one of them changed.
        let replica = PolicyPod(namespace: "y", name: "d", labels: ["pod": "a"], addresses: [IPAddress("10.244.2.9")!])
        let grown = TestCluster.input(policies, pods: pods + [replica])
        #expect(PolicyCompiler.compile(grown, memo: &memo) == PolicyCompiler.compile(grown))
        #expect(PolicyCompiler.compile(changed, memo: &memo) == after)
        // Namespace y relabelled: the same groups, no longer selected by from-b's second peer.
        var namespaces = TestCluster.namespaces
        namespaces[1].labels = ["ns": "w"]
        let relabelled = TestCluster.input(policies, pods: pods, namespaces: namespaces)
        let fresh = PolicyCompiler.compile(relabelled)
        #expect(PolicyCompiler.compile(relabelled, memo: &memo) == fresh)
        #expect(fresh != after)
    }

    @Test("label selectors: matchLabels and every operator, all ANDed")
    func selectors() {
        let labels = ["app": "web", "tier": "front"]
        #expect(LabelSelector.everything.matches([:]))
        #expect(LabelSelector(matchLabels: ["app": "web"]).matches(labels))
        #expect(!LabelSelector(matchLabels: ["app": "db"]).matches(labels))
        #expect(LabelRequirement(key: "app", operator: .in(["web", "api"])).matches(labels))
        #expect(!LabelRequirement(key: "zone", operator: .in(["a"])).matches(labels))
        #expect(LabelRequirement(key: "zone", operator: .notIn(["a"])).matches(labels))
        #expect(!LabelRequirement(key: "app", operator: .notIn(["web"])).matches(labels))
        #expect(LabelRequirement(key: "tier", operator: .exists).matches(labels))
        #expect(LabelRequirement(key: "zone", operator: .doesNotExist).matches(labels))
        #expect(!LabelSelector(matchLabels: ["app": "web"], matchExpressions: [LabelRequirement(key: "tier", operator: .doesNotExist)]).matches(labels))
    }

    @Test("a prefix minus holes is covered exactly by the remaining prefixes")
    func excluding() {
        let block = IPPrefix("10.0.0.0/24")!
        #expect(block.excluding([]) == [block])
        #expect(block.excluding([IPPrefix("10.0.0.0/16")!]) == [])
        #expect(block.excluding([IPPrefix("10.1.0.0/16")!, IPPrefix("fd00::/8")!]) == [block])
        #expect(block.excluding([IPPrefix("10.0.0.128/25")!]) == [IPPrefix("10.0.0.0/25")!])
        let rest = block.excluding([IPPrefix("10.0.0.5/32")!])
        #expect(rest.map(\.description) == ["10.0.0.0/30", "10.0.0.4/32", "10.0.0.6/31", "10.0.0.8/29",
                                            "10.0.0.16/28", "10.0.0.32/27", "10.0.0.64/26", "10.0.0.128/25"])
        #expect(IPPrefix("10.0.0.7/24")!.excluding([]) == [block])
    }
}
