import Cluster
import Foundation
import NetworkModel
import KubePolicy
import Policy
import Testing

/// Real API JSON (the fixtures beside the Cluster tests) decoded by `Cluster` and translated into
/// the values the compiler takes.
@Suite("Kubernetes objects as policy values")
struct KubePolicyTranslationTests {
    private func fixture<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../ClusterTests/Fixtures/\(name)").standardized
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }

    private func policy(_ json: String) throws -> KubePolicyTranslation.Translated {
        KubePolicyTranslation.policy(try JSONDecoder().decode(KubeNetworkPolicy.self, from: Data(json.utf8)))
    }

    @Test("a running pod: labels, both podIPs, named ports with their protocols; unnamed ports left out")
    func pod() throws {
        let pod = try #require(KubePolicyTranslation.pod(try fixture("pod-web-0.json", as: KubePod.self)))
        #expect(pod.id == PodID(namespace: "shop", name: "web-0"))
        #expect(pod.labels["app"] == "web")
        #expect(pod.addresses == [IPAddress("10.244.1.7")!, IPAddress("fd00:10:244:1::7")!])
        #expect(!pod.hostNetwork)
        #expect(pod.ports == [ContainerPort(name: "http", number: 80), ContainerPort(name: "metrics", number: 9113),
                              ContainerPort(name: "dns", number: 53, protocol: .udp),
                              ContainerPort(name: "dns-sctp", number: 5353, protocol: .sctp)])
    }

    @Test("a finished pod keeps no addresses; a hostNetwork pod says so; a pending pod has none yet")
    func podStates() throws {
        var kube = try fixture("pod-web-0.json", as: KubePod.self)
        kube.status?.phase = "Succeeded"
        #expect(KubePolicyTranslation.pod(kube)?.addresses == [])
        kube.status = nil
        kube.spec?.hostNetwork = true
        let hostPod = try #require(KubePolicyTranslation.pod(kube))
        #expect(hostPod.hostNetwork && hostPod.addresses.isEmpty)
    }

    @Test("a namespace keeps its labels and always carries kubernetes.io/metadata.name")
    func namespace() throws {
        let namespace = try #require(KubePolicyTranslation.namespace(try fixture("namespace-shop.json", as: KubeNamespace.self)))
        #expect(namespace.labels == ["kubernetes.io/metadata.name": "shop", "team": "payments"])
        #expect(PolicyNamespace(name: "bare").labels == ["kubernetes.io/metadata.name": "bare"])
    }

    @Test("the full v1 spec: selectors with every operator, peers, ipBlock except, named and ranged ports, SCTP")
    func fullPolicy() throws {
        let translated = KubePolicyTranslation.policy(try fixture("networkpolicy-web.json", as: KubeNetworkPolicy.self))
        #expect(translated.problems.isEmpty)
        let policy = try #require(translated.policy)
        #expect(policy.id == "shop/web")
        #expect(policy.podSelector == LabelSelector(matchLabels: ["app": "web"],
                                                    matchExpressions: [LabelRequirement(key: "tier", operator: .notIn(["canary"]))]))
        #expect(policy.policyTypes == [.ingress, .egress])
        #expect(policy.ingress == [
            PolicyRule(peers: [
                .pods(LabelSelector(matchLabels: ["app": "gateway"]), namespaces: nil),
                .pods(LabelSelector(matchExpressions: [LabelRequirement(key: "role", operator: .exists)]),
                      namespaces: LabelSelector(matchExpressions: [LabelRequirement(key: "team", operator: .in(["payments", "search"]))])),
                .ipBlock(cidr: IPPrefix("192.168.0.0/16")!, except: [IPPrefix("192.168.7.0/24")!]),
            ], ports: [PolicyPort(.tcp, .named("http")), PolicyPort(.tcp, .numbers(8000...8100)), PolicyPort(.sctp, .numbers(9999...9999))]),
            PolicyRule(),
        ])
        #expect(policy.egress == [
            PolicyRule(peers: [.pods(LabelSelector(matchExpressions: [LabelRequirement(key: "legacy", operator: .doesNotExist)]),
                                     namespaces: .everything)],
                       ports: [PolicyPort(.udp, .named("dns")), PolicyPort(.udp)]),
            PolicyRule(peers: [.ipBlock(cidr: IPPrefix("fd00::/8")!, except: [])]),
        ])
    }

    @Test("policyTypes omitted default as the API server's; ingress [] stays a deny, [{}] an allow-all")
    func defaulting() throws {
        let ingressOnly = try policy(#"{"metadata":{"name":"p","namespace":"x"},"spec":{"podSelector":{},"ingress":[]}}"#).policy
        #expect(ingressOnly?.policyTypes == [.ingress] && ingressOnly?.ingress == [])
        let both = try policy(#"{"metadata":{"name":"p","namespace":"x"},"spec":{"podSelector":{},"ingress":[{}],"egress":[{"ports":[{"port":53}]}]}}"#).policy
        #expect(both?.policyTypes == [.ingress, .egress])
        #expect(both?.ingress == [PolicyRule()])
        #expect(both?.egress == [PolicyRule(ports: [PolicyPort(.tcp, .numbers(53...53))])])
        let emptyEgress = try policy(#"{"metadata":{"name":"p","namespace":"x"},"spec":{"podSelector":{},"egress":[]}}"#).policy
        #expect(emptyEgress?.policyTypes == [.ingress])
    }

    @Test("fail closed: a rule it cannot read allows nothing, a pod selector it cannot read selects every pod")
    func failClosed() throws {
        let translated = try policy("""
            {"metadata":{"name":"p","namespace":"x"},"spec":{
              "podSelector":{"matchExpressions":[{"key":"a","operator":"Near"}]},
              "policyTypes":["Ingress"],
              "ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/33"}}]},{"ports":[{"protocol":"ICMP"}]},{"ports":[{"port":80}]}]}}
            """)
        #expect(translated.policy?.podSelector == .everything)
        #expect(translated.policy?.ingress == [PolicyRule(ports: [PolicyPort(.tcp, .numbers(80...80))])])
        #expect(translated.problems.count == 3)
    }

    @Test("end to end: the fixtures compile into a chain for the local pod")
    func compiles() throws {
        let pod = try #require(KubePolicyTranslation.pod(try fixture("pod-web-0.json", as: KubePod.self)))
        let namespace = try #require(KubePolicyTranslation.namespace(try fixture("namespace-shop.json", as: KubeNamespace.self)))
        let policy = try #require(KubePolicyTranslation.policy(try fixture("networkpolicy-web.json", as: KubeNetworkPolicy.self)).policy)
        let endpoint = PolicyEndpoint(interface: "trl0123456789a", pod: pod.id, addresses: pod.addresses)
        let ruleset = PolicyCompiler.compile(PolicyCompiler.Input(policies: [policy], pods: [pod], namespaces: [namespace], endpoints: [endpoint]))
        #expect(ruleset.dispatch(.ingress)["trl0123456789a"] == .goto("ingress-trl0123456789a"))
        #expect(ruleset.dispatch(.egress)["trl0123456789a"] == .goto("egress-trl0123456789a"))
        // The second ingress rule ({}) allows everything: the chain returns before its drop.
        #expect(ruleset.chains["ingress-trl0123456789a"]?.suffix(2) == ["return", "counter drop"])
    }
}
