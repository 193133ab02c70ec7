import NetworkModel
@testable import Cluster
import Foundation
import IPAM
import Testing

private func decodeNode(_ object: [String: Any]) throws -> KubeNode {
    try JSONDecoder().decode(KubeNode.self, from: JSONSerialization.data(withJSONObject: object))
}

private func text(_ bytes: [UInt8]?) -> String? {
    bytes.map { String(decoding: $0, as: UTF8.self) }
}

@Suite("Kubernetes Node objects to ClusterNode, and the agent's patches")
struct KubeNodeTranslationTests {
    @Test("a Node as the API returns it (managedFields, conditions, capacity) becomes the ClusterNode peers need")
    func fixtureNode() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/node-worker-1.json")
        let node = try JSONDecoder().decode(KubeNode.self, from: Data(contentsOf: url))
        #expect(node.clusterNode == ClusterNode(name: "worker-1", podCIDRs: [IPPrefix("10.244.1.0/24")!],
                                                publicIP: IPAddress("198.18.0.11")!, vtepMAC: "0a:58:c6:12:00:0b", backend: .vxlan))
        #expect(node.condition("NetworkUnavailable")?.reason == "NoRouteCreated")
    }

    @Test("without the public-ip annotation the InternalIP is the underlay address, not the Hostname")
    func internalIPFallback() throws {
        var object = try kubeNode("a", podCIDRs: ["10.244.3.0/24", "fd00:10:244:3::/64"], internalIP: "198.18.0.33")
        var status = object["status"] as! [String: Any]
        status["addresses"] = [["type": "Hostname", "address": "a"], ["type": "ExternalIP", "address": "203.0.113.9"],
                               ["type": "InternalIP", "address": "198.18.0.33"]]
        object["status"] = status
        let node = try decodeNode(object).clusterNode
        #expect(node?.publicIP == IPAddress("198.18.0.33"))
        #expect(node?.podCIDRs == [IPPrefix("10.244.3.0/24")!, IPPrefix("fd00:10:244:3::/64")!])
        #expect(node?.vtepMAC == nil && node?.backend == nil)
    }

    @Test("spec.podCIDR alone (older clusters) is the slice; a node without either is left out")
    func podCIDRFallbackAndNoSlice() throws {
        var object = try kubeNode("b")
        object["spec"] = ["podCIDR": "10.244.9.0/24"]
        #expect(try decodeNode(object).clusterNode?.podCIDRs == [IPPrefix("10.244.9.0/24")!])
        #expect(try decodeNode(kubeNode("c")).clusterNode == nil)
    }

    @Test("the annotation patch is a merge patch of exactly the three annotations, and none when they already match")
    func annotationPatch() throws {
        let registration = NodeRegistration(name: "n1", publicIP: IPAddress("198.18.0.11")!, vtepMAC: "0a:58:00:00:00:01", backend: .vxlan)
        let patch = KubeNodePatch.annotations(for: registration, current: ["node.alpha.kubernetes.io/ttl": "0"])
        #expect(text(patch) == #"{"metadata":{"annotations":{"trellis.dev/backend":"vxlan","trellis.dev/public-ip":"198.18.0.11","trellis.dev/vtep-mac":"0a:58:00:00:00:01"}}}"#)

        var current = KubeAnnotation.values(of: registration)
        current["other"] = "x"
        #expect(KubeNodePatch.annotations(for: registration, current: current) == nil)
        current[KubeAnnotation.vtepMAC] = "0a:58:00:00:00:02"
        #expect(KubeNodePatch.annotations(for: registration, current: current) != nil)
    }

    @Test("a dual-stack Node (InternalIPs of both families, IPv6 listed first) has an IPv4 public IP and an IPv6 one")
    func dualStackAddresses() throws {
        var object = try kubeNode("d", podCIDRs: ["10.244.4.0/24", "fd00:10:244:4::/64"], internalIP: "198.18.0.44")
        var status = object["status"] as! [String: Any]
        status["addresses"] = [["type": "InternalIP", "address": "fd00:198:18::44"], ["type": "InternalIP", "address": "198.18.0.44"],
                               ["type": "Hostname", "address": "d"]]
        object["status"] = status
        let node = try #require(try decodeNode(object).clusterNode)
        #expect(node.publicIP == IPAddress("198.18.0.44") && node.publicIPv6 == IPAddress("fd00:198:18::44"))

        var annotated = object
        annotated["metadata"] = ["name": "d", "annotations": ["trellis.dev/public-ipv6": "fd00:198:18::99"]]
        #expect(try decodeNode(annotated).clusterNode?.publicIPv6 == IPAddress("fd00:198:18::99"), "the annotation wins")
        object["spec"] = ["podCIDRs": ["10.244.4.0/24"]]
        #expect(try decodeNode(object).clusterNode?.publicIPv6 == nil, "a single-stack node routes no IPv6")
    }

    @Test("the annotation patch publishes the IPv6 underlay address, and removes one published before that is gone")
    func ipv6AnnotationPatch() throws {
        let dual = NodeRegistration(name: "n1", publicIP: IPAddress("198.18.0.11")!, publicIPv6: IPAddress("fd00:198:18::11")!,
                                    vtepMAC: "0a:58:00:00:00:01", backend: .direct)
        #expect(text(KubeNodePatch.annotations(for: dual, current: [:]))?.contains(#""trellis.dev/public-ipv6":"fd00:198:18::11""#) == true)
        var single = dual
        single.publicIPv6 = nil
        let current = KubeAnnotation.values(of: dual)
        #expect(text(KubeNodePatch.annotations(for: single, current: current))
            == #"{"metadata":{"annotations":{"trellis.dev/backend":"direct","trellis.dev/public-ip":"198.18.0.11","trellis.dev/public-ipv6":null,"trellis.dev/vtep-mac":"0a:58:00:00:00:01"}}}"#)
        #expect(KubeNodePatch.annotations(for: single, current: KubeAnnotation.values(of: single)) == nil)
    }

    @Test("the NetworkUnavailable patch sets status False, reason TrellisIsUp, under status.conditions")
    func conditionPatch() throws {
        let condition = KubeNodePatch.networkAvailable(at: Date(timeIntervalSince1970: 1_795_000_000))
        #expect(text(KubeNodePatch.condition(condition)) == #"{"status":{"conditions":[{"lastHeartbeatTime":"2026-11-18T11:06:40Z","lastTransitionTime":"2026-11-18T11:06:40Z","message":"Trellis is running on this node","reason":"TrellisIsUp","status":"False","type":"NetworkUnavailable"}]}}"#)
    }

    @Test("watch lines decode: a BOOKMARK carries only a resourceVersion, an ERROR a Status with its code")
    func watchEvents() throws {
        let bookmark = try JSONDecoder().decode(KubeWatchEvent<KubeNode>.self, from: Data(
            #"{"type":"BOOKMARK","object":{"kind":"Node","apiVersion":"v1","metadata":{"resourceVersion":"12345","annotations":{"k8s.io/initial-events-end":"true"}}}}"#.utf8))
        guard case .bookmark(let version) = bookmark else { Issue.record("not a bookmark: \(bookmark)"); return }
        #expect(version == "12345")

        let error = try JSONDecoder().decode(KubeWatchEvent<KubeNode>.self, from: Data(
            #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 100 (200)","reason":"Expired","code":410}}"#.utf8))
        guard case .error(let status) = error else { Issue.record("not an error: \(error)"); return }
        #expect(status.code == 410 && status.reason == "Expired")
    }
}
