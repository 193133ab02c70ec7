@testable import Cluster
import Foundation
import Testing

/// Pods, Namespaces and NetworkPolicies decoded from the API's JSON (fixtures in the shape of the
/// Kubernetes API reference, with the fields policy ignores left in).
@Suite("decoding the objects network policy reads")
struct KubePolicyObjectsTests {
    private func fixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }

    @Test("a Pod: metadata, nodeName, containers' ports, podIPs and phase")
    func pod() throws {
        let pod = try fixture("pod-web-0.json", as: KubePod.self)
        #expect(pod.metadata.name == "web-0" && pod.metadata.namespace == "shop" && pod.metadata.resourceVersion == "48213")
        #expect(pod.metadata.labels?["app"] == "web")
        #expect(pod.spec?.nodeName == "worker-1")
        #expect(pod.spec?.hostNetwork == nil)
        #expect(pod.spec?.containers?.flatMap { $0.ports ?? [] }.map(\.name) == ["http", "metrics", nil, "dns", "dns-sctp"])
        #expect(pod.status?.podIPs?.map(\.ip) == ["10.244.1.7", "fd00:10:244:1::7"])
        #expect(pod.status?.phase == "Running")
    }

    @Test("a Namespace: name and labels")
    func namespace() throws {
        let namespace = try fixture("namespace-shop.json", as: KubeNamespace.self)
        #expect(namespace.metadata.name == "shop")
        #expect(namespace.metadata.labels == ["kubernetes.io/metadata.name": "shop", "team": "payments"])
    }

    @Test("a NetworkPolicy: the whole spec, ports as numbers or names, omitted lists apart from empty ones")
    func networkPolicy() throws {
        let policy = try fixture("networkpolicy-web.json", as: KubeNetworkPolicy.self)
        #expect(policy.spec.podSelector.matchExpressions?.first?.operator == "NotIn")
        #expect(policy.spec.policyTypes == ["Ingress", "Egress"])
        let ports = policy.spec.ingress?.first?.ports
        #expect(ports?.map(\.port) == [.string("http"), .int(8000), .int(9999)])
        #expect(ports?[1].endPort == 8100)
        #expect(policy.spec.ingress?.first?.from?[2].ipBlock == KubeNetworkPolicy.IPBlock(cidr: "192.168.0.0/16", except: ["192.168.7.0/24"]))
        #expect(policy.spec.ingress?[1] == KubeNetworkPolicy.IngressRule(from: nil, ports: nil))
        #expect(policy.spec.egress?.first?.ports?[1].port == nil)
        let bare = try JSONDecoder().decode(KubeNetworkPolicy.self, from: Data(#"{"metadata":{"name":"p"},"spec":{"podSelector":{},"ingress":[]}}"#.utf8))
        #expect(bare.spec.policyTypes == nil && bare.spec.ingress == [] && bare.spec.egress == nil)
    }
}
