import NetworkModel
@testable import Policy
import Testing

/// The `nft -f` text: the full rebuild as a golden, and the incremental update as the set
/// algebra between two rulesets.
@Suite("nftables transactions for the policy table")
struct TransactionTests {
    /// A small ruleset written by hand: one isolated pod, one open one, one selector set.
    static let small = PolicyRuleset(
        sets: ["pods4-1": PolicySet(kind: .addresses(.v4), elements: [.address(IPAddress("10.244.1.2")!), .address(IPAddress("10.244.2.1")!)]),
               "ports6-1": PolicySet(kind: .addressPorts(.v6))],
        chains: ["ingress-trl1": ["ip saddr @pods4-1 tcp dport 80 return", "counter drop"]],
        dispatch: [.ingress: ["trl1": .goto("ingress-trl1"), "trl2": .open], .egress: ["trl1": .open, "trl2": .open]],
        workloadInterfacePrefix: "trl")

    @Test("golden: the full transaction recreates the table with sets, maps, pod chains and the forward chain")
    func goldenFull() {
        #expect(PolicyTransaction.full(Self.small) == """
            table inet trellis-policy {}
            delete table inet trellis-policy
            table inet trellis-policy {
            \tset pods4-1 {
            \t\ttype ipv4_addr
            \t\telements = { 10.244.1.2, 10.244.2.1 }
            \t}
            \tset ports6-1 {
            \t\ttype ipv6_addr . inet_proto . inet_service
            \t}
            \tmap ingress {
            \t\ttype ifname : verdict
            \t\telements = { "trl1" : goto ingress-trl1, "trl2" : return }
            \t}
            \tmap egress {
            \t\ttype ifname : verdict
            \t\telements = { "trl1" : return, "trl2" : return }
            \t}
            \tchain ingress-trl1 {
            \t\tip saddr @pods4-1 tcp dport 80 return
            \t\tcounter drop
            \t}
            \tchain dispatch-ingress {
            \t\toifname vmap @ingress
            \t\tcounter drop
            \t}
            \tchain dispatch-egress {
            \t\tiifname vmap @egress
            \t\tcounter drop
            \t}
            \tchain forward {
            \t\ttype filter hook forward priority filter; policy accept;
            \t\tct direction reply accept
            \t\tct state related accept
            \t\tiifname "trl*" jump dispatch-egress
            \t\toifname "trl*" jump dispatch-ingress
            \t}
            }

            """)
    }

    @Test("equal rulesets need no transaction")
    func equal() {
        #expect(PolicyTransaction.update(from: Self.small, to: Self.small) == nil)
    }

    @Test("a pod gone from a selector is one element delete; a new one one element add")
    func membership() {
        var next = Self.small
        next.sets["pods4-1"]!.elements = [.address(IPAddress("10.244.1.2")!), .address(IPAddress("10.244.3.7")!)]
        #expect(PolicyTransaction.update(from: Self.small, to: next) == """
            add element inet trellis-policy pods4-1 { 10.244.3.7 }
            delete element inet trellis-policy pods4-1 { 10.244.2.1 }

            """)
    }

    @Test("a newly isolated pod: its set and chain are added before the map entry that leads there")
    func newlyIsolated() {
        var next = Self.small
        next.sets["pods6-9"] = PolicySet(kind: .addresses(.v6), elements: [.address(IPAddress("fd00::9")!)])
        next.chains["egress-trl2"] = ["ip6 daddr @pods6-9 return", "counter drop"]
        next.dispatch[.egress]!["trl2"] = .goto("egress-trl2")
        #expect(PolicyTransaction.update(from: Self.small, to: next) == """
            add set inet trellis-policy pods6-9 { type ipv6_addr; }
            add element inet trellis-policy pods6-9 { fd00::9 }
            add chain inet trellis-policy egress-trl2
            add rule inet trellis-policy egress-trl2 ip6 daddr @pods6-9 return
            add rule inet trellis-policy egress-trl2 counter drop
            delete element inet trellis-policy egress { "trl2" }
            add element inet trellis-policy egress { "trl2" : goto egress-trl2 }

            """)
    }

    @Test("a policy deleted: map entries first, then the chain, then the set it used")
    func policyDeleted() {
        var next = Self.small
        next.sets["pods4-1"] = nil
        next.chains = [:]
        next.dispatch[.ingress]!["trl1"] = .open
        #expect(PolicyTransaction.update(from: Self.small, to: next) == """
            delete element inet trellis-policy ingress { "trl1" }
            add element inet trellis-policy ingress { "trl1" : return }
            flush chain inet trellis-policy ingress-trl1
            delete chain inet trellis-policy ingress-trl1
            delete set inet trellis-policy pods4-1

            """)
    }

    @Test("a changed chain is flushed and refilled in the same transaction; a pod gone leaves no entry")
    func changedChainAndPodGone() {
        var next = Self.small
        next.chains["ingress-trl1"] = ["ip saddr @pods4-1 tcp dport { 80, 443 } return", "counter drop"]
        next.dispatch[.ingress]!["trl2"] = nil
        next.dispatch[.egress]!["trl2"] = nil
        #expect(PolicyTransaction.update(from: Self.small, to: next) == """
            flush chain inet trellis-policy ingress-trl1
            add rule inet trellis-policy ingress-trl1 ip saddr @pods4-1 tcp dport { 80, 443 } return
            add rule inet trellis-policy ingress-trl1 counter drop
            delete element inet trellis-policy ingress { "trl2" }
            delete element inet trellis-policy egress { "trl2" }

            """)
    }

    @Test("a different workload prefix rebuilds the table")
    func prefixChange() {
        var next = Self.small
        next.workloadInterfacePrefix = "pod"
        #expect(PolicyTransaction.update(from: Self.small, to: next) == PolicyTransaction.full(next))
    }

    @Test("compiled: pods coming, going and relabelled change set elements and map entries, never chain text")
    func podChurnIsElementsOnly() throws {
        let policies: [NetworkPolicy] = [
            .ingress("from-b", selecting: .pod("a"), [PolicyRule(peers: [.pods(.pod("b"), namespaces: .everything)], ports: [PolicyPort(.tcp, .numbers(80...80))])]),
            .egress("named", selecting: .pod("a"), [PolicyRule(ports: [PolicyPort(.tcp, .named("serve-80-tcp"))])]),
        ]
        let old = TestCluster.compile(policies)
        var pods = TestCluster.pods
        pods[pods.firstIndex { $0.id.description == "z/c" }!].labels["pod"] = "b"
        pods.removeAll { $0.id.description == "y/b" }
        pods.append(PolicyPod(namespace: "z", name: "d", labels: ["pod": "b"], addresses: [IPAddress("10.244.3.4")!], ports: TestCluster.servingPorts))
        let new = TestCluster.compile(policies, pods: pods)
        let update = try #require(PolicyTransaction.update(from: old, to: new))
        let commands = update.split(separator: "\n").map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
        #expect(Set(commands) == ["add element", "delete element"])
        #expect(update.contains("10.244.3.3") && update.contains("10.244.3.4") && update.contains("10.244.2.2"))
        #expect(update.contains("\"trlyb\""))
    }
}
