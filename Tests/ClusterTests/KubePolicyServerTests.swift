@testable import Cluster
import Foundation
import Logging
import Testing

/// One page of a list, for any kind of object.
private struct ObjectList<Item: Decodable>: Decodable {
    var metadata: KubeListMeta
    var items: [Item]
}

/// One watch event line, for any kind of object.
private struct ObjectEvent<Item: Decodable>: Decodable {
    var type: String
    var object: Item
}

extension KubeIntegration {
/// The test API server's Pods, Namespaces and NetworkPolicies through the agent's own client:
/// lists cluster-wide, per namespace and by field, watches of one resource that see only its
/// events, the status subresource, and the real server's defaulting.
@Suite("the test API server's policy objects")
struct KubePolicyServerTests {
    private func pod(_ name: String, in namespace: String, node: String) -> [String: Any] {
        ["kind": "Pod", "metadata": ["name": name, "namespace": namespace, "labels": ["app": name]],
         "spec": ["nodeName": node, "containers": [["name": "c", "image": "i", "ports": [["name": "http", "containerPort": 80]]]]]]
    }

    @Test("lists by namespace and by spec.nodeName, a watch from the list's version sees only its resource, objects are defaulted")
    func listWatchDefaulting() async throws {
        let server = try KubeTestServer()
        defer { server.stop() }
        let client = try KubeClient(config: server.config())
        try await server.put(object: ["kind": "Namespace", "metadata": ["name": "x"]])
        try await server.put(object: pod("a", in: "x", node: "n1"))
        try await server.put(object: pod("b", in: "y", node: "n2"))
        try await server.put(object: pod("c", in: "y", node: "n1"))

        let namespaces = try await client.call(.GET, "/api/v1/namespaces", action: .init(verb: "list", resource: "namespaces"),
                                               as: ObjectList<KubeNamespace>.self)
        #expect(namespaces.items.map(\.metadata.labels) == [["kubernetes.io/metadata.name": "x"]])
        let local = try await client.call(.GET, "/api/v1/pods", query: [("fieldSelector", "spec.nodeName=n1")],
                                          action: .init(verb: "list", resource: "pods"), as: ObjectList<KubePod>.self)
        #expect(local.items.map(\.metadata.name) == ["a", "c"])
        #expect(local.items.first?.spec?.containers?.first?.ports?.first?.protocol == "TCP")
        #expect(local.items.first?.status?.phase == "Pending")
        let inY = try await client.call(.GET, "/api/v1/namespaces/y/pods", action: .init(verb: "list", resource: "pods"),
                                        as: ObjectList<KubePod>.self)
        #expect(inY.items.map(\.metadata.name) == ["b", "c"])
        let version = try #require(inY.metadata.resourceVersion)

        // Changes after the list: a policy with its policyTypes omitted, a node, a pod's status.
        try await server.put(object: ["kind": "NetworkPolicy", "metadata": ["name": "p", "namespace": "y"],
                                      "spec": ["egress": [["ports": [["port": 53]]]]]])
        try await server.put(kubeNode("n9", podCIDRs: ["10.244.9.0/24"]))
        _ = try await client.call(.PATCH, "/api/v1/namespaces/y/pods/b/status",
                                  body: Array(#"{"status":{"podIPs":[{"ip":"10.244.2.5"}]},"metadata":{"labels":{"app":"ignored"}}}"#.utf8),
                                  contentType: "application/merge-patch+json", action: .init(verb: "patch", resource: "pods/status"),
                                  as: KubePod.self)
        try await server.delete(kind: "Pod", namespace: "y", name: "c")

        let pods = try await events(client, "/api/v1/pods", since: version, as: KubePod.self)
        #expect(pods.map { "\($0.type) \($0.object.metadata.name ?? "")" } == ["MODIFIED b", "DELETED c"])
        #expect(pods.first?.object.status?.podIPs?.map(\.ip) == ["10.244.2.5"])
        #expect(pods.first?.object.metadata.labels == ["app": "b"])
        let policies = try await events(client, "/apis/networking.k8s.io/v1/namespaces/y/networkpolicies", since: version,
                                        as: KubeNetworkPolicy.self)
        #expect(policies.map(\.type) == ["ADDED"])
        #expect(policies.first?.object.spec.policyTypes == ["Ingress", "Egress"])
        #expect(policies.first?.object.spec.podSelector == KubeLabelSelector())
        #expect(policies.first?.object.spec.egress?.first?.ports?.first?.protocol == "TCP")
        let elsewhere = try await events(client, "/apis/networking.k8s.io/v1/namespaces/x/networkpolicies", since: version,
                                         as: KubeNetworkPolicy.self)
        #expect(elsewhere.isEmpty)
    }

    /// The events of a watch of `path` from `version` that ends after a second (`timeoutSeconds`).
    private func events<Item: Decodable>(_ client: KubeClient, _ path: String, since version: String,
                                         as _: Item.Type) async throws -> [ObjectEvent<Item>] {
        let response = try await client.send(.GET, path, query: [("watch", "1"), ("resourceVersion", version), ("timeoutSeconds", "1")],
                                             action: .init(verb: "watch", resource: path))
        let body = try await response.body.collect(upTo: 16 << 20)
        return try String(decoding: body.readableBytesView, as: UTF8.self).split(separator: "\n").map {
            try JSONDecoder().decode(ObjectEvent<Item>.self, from: Data($0.utf8))
        }
    }
}
}

extension KubeIntegration {
/// The generic list/watch (`KubeClient.events(of:)`) on the collections policy follows.
@Suite("list/watch of Pods, Namespaces and NetworkPolicies")
struct KubeCollectionTests {
    @Test("a complete list of every namespace's pods first, then only what changed; bookmarks and policies without a pod shape decode")
    func podsAndPolicies() async throws {
        let server = try KubeTestServer()
        defer { server.stop() }
        let client = try KubeClient(config: server.config())
        try await server.put(object: ["kind": "Pod", "metadata": ["name": "a", "namespace": "x", "labels": ["app": "a"]],
                                      "spec": ["nodeName": "n1", "containers": [["name": "c", "image": "i"]]]])
        try await server.put(object: ["kind": "Pod", "metadata": ["name": "b", "namespace": "y"],
                                      "spec": ["nodeName": "n2", "containers": [["name": "c", "image": "i"]]]])
        var pods = client.events(of: .pods, logger: Logger(label: "test")) { $0.metadata.labels ?? [:] }.makeAsyncIterator()
        guard case .listed(let listed)? = await pods.next() else { Issue.record("no list"); return }
        #expect(listed == [ObjectChange(key: "x/a", value: ["app": "a"]), ObjectChange(key: "y/b", value: [:])])

        try await server.put(object: ["kind": "Pod", "metadata": ["name": "b", "namespace": "y", "labels": ["app": "b"]],
                                      "spec": ["nodeName": "n2", "containers": [["name": "c", "image": "i"]]]])
        _ = try await server.control("bookmark")
        try await server.delete(kind: "Pod", namespace: "x", name: "a")
        var changes: [ObjectChange<[String: String]>] = []
        while changes.count < 2, case .changed(let more)? = await pods.next() { changes += more }
        #expect(changes == [ObjectChange(key: "y/b", value: ["app": "b"]), ObjectChange(key: "x/a", value: nil)])

        var policies = client.events(of: .networkPolicies, logger: Logger(label: "test")) { $0.spec.policyTypes ?? [] }
            .makeAsyncIterator()
        guard case .listed(let none)? = await policies.next() else { Issue.record("no list"); return }
        #expect(none.isEmpty)
        _ = try await server.control("bookmark")
        try await server.put(object: ["kind": "NetworkPolicy", "metadata": ["name": "p", "namespace": "y"], "spec": ["podSelector": [:]]])
        guard case .changed(let added)? = await policies.next() else { Issue.record("no change"); return }
        #expect(added == [ObjectChange(key: "y/p", value: ["Ingress"])])
    }
}
}
