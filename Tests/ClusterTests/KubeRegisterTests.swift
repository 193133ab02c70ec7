import NetworkModel
@testable import Cluster
import Foundation
import IPAM
import Testing

private func isNodePatch(_ request: KubeRequest, _ name: String = "n1") -> Bool {
    request.method == "PATCH" && request.path == "/api/v1/nodes/\(name)"
}

extension KubeIntegration {
@Suite("KubernetesNodeSource.register, markNetworkAvailable and credentials against the test API server")
struct KubeRegisterTests {
    @Test("register waits, retrying, until the node has spec.podCIDRs, then returns it with its published address")
    func waitsForPodCIDRs() async throws {
        let server = try KubeTestServer(nodes: [try kubeNode("n1", internalIP: "198.18.0.40")])
        defer { server.stop() }
        let source = try makeKubeSource(server)
        let registering = Task { try await source.register(registration(1)) }
        // It has looked at the node more than once without a slice before one is assigned.
        try await server.awaitRequests("three GETs of the node") { requests in
            requests.filter { $0.method == "GET" && $0.path == "/api/v1/nodes/n1" }.count >= 3
        }
        try await server.put(kubeNode("n1", podCIDRs: ["10.244.7.0/24"], internalIP: "198.18.0.40",
                                      annotations: KubeAnnotation.values(of: registration(1))))
        let node = try await registering.value
        #expect(node == ClusterNode(name: "n1", podCIDRs: [IPPrefix("10.244.7.0/24")!], publicIP: registration(1).publicIP,
                                    vtepMAC: registration(1).vtepMAC, backend: .vxlan))
    }

    @Test("annotations are merge-patched once; registering again unchanged patches nothing; a new VTEP MAC patches again")
    func annotationsPatchedOnlyWhenChanged() async throws {
        let server = try KubeTestServer(nodes: [try kubeNode("n1", podCIDRs: ["10.244.1.0/24"])])
        defer { server.stop() }
        let source = try makeKubeSource(server)
        _ = try await source.register(registration(1))
        _ = try await source.register(registration(1))
        var patches = try await server.requests().filter { isNodePatch($0) }
        #expect(patches.count == 1)
        #expect(patches.first?.contentType == "application/merge-patch+json")
        let stored = try await server.node("n1")
        let annotations = (stored["metadata"] as? [String: Any])?["annotations"] as? [String: String] ?? [:]
        #expect(annotations["trellis.dev/vtep-mac"] == registration(1).vtepMAC)
        #expect(annotations["node.alpha.kubernetes.io/ttl"] == "0", "other annotations stay")

        var rebooted = registration(1)
        rebooted.vtepMAC = "0a:58:00:00:00:77"
        let node = try await source.register(rebooted)
        #expect(node.vtepMAC == "0a:58:00:00:00:77")
        patches = try await server.requests().filter { isNodePatch($0) }
        #expect(patches.count == 2)
    }

    @Test("markNetworkAvailable patches nodes/status with a strategic merge patch that keeps kubelet's conditions, once")
    func networkUnavailableCondition() async throws {
        let server = try KubeTestServer(nodes: [try kubeNode("n1", podCIDRs: ["10.244.1.0/24"])])
        defer { server.stop() }
        let source = try makeKubeSource(server)
        #expect(try await source.markNetworkAvailable(nodeName: "n1"))
        #expect(try await source.markNetworkAvailable(nodeName: "n1") == false)

        let patches = try await server.requests().filter { $0.method == "PATCH" }
        #expect(patches.map(\.path) == ["/api/v1/nodes/n1/status"])
        #expect(patches.first?.contentType == "application/strategic-merge-patch+json")
        let stored = try await server.node("n1")
        let conditions = (stored["status"] as? [String: Any])?["conditions"] as? [[String: Any]] ?? []
        let network = try #require(conditions.first { $0["type"] as? String == "NetworkUnavailable" })
        #expect(network["status"] as? String == "False")
        #expect(network["reason"] as? String == "TrellisIsUp")
        #expect(conditions.contains { $0["type"] as? String == "Ready" && $0["status"] as? String == "True" })
    }

    @Test("403: register throws naming the RBAC verb and resource it lacks (patch nodes)")
    func forbiddenNamesVerb() async throws {
        let server = try KubeTestServer(tokens: ["read-only": ["get", "list", "watch"]],
                                        nodes: [try kubeNode("n1", podCIDRs: ["10.244.1.0/24"])])
        defer { server.stop() }
        let source = try makeKubeSource(server, credential: .token("read-only"))
        await #expect {
            _ = try await source.register(registration(1))
        } throws: { error in
            guard case KubeError.forbidden(let verb, let resource, let name, let message) = error else { return false }
            return verb == "patch" && resource == "nodes" && name == "n1" && message.contains("cannot patch resource")
                && "\(error)".contains("grant verb \"patch\" on resource \"nodes\"")
        }
        await #expect {
            try await source.markNetworkAvailable(nodeName: "n1")
        } throws: { error in
            guard case KubeError.forbidden(let verb, let resource, _, _) = error else { return false }
            return verb == "patch" && resource == "nodes/status"
        }
    }

    @Test("403 on watch: the stream reports unavailable with the missing verb, and keeps retrying")
    func forbiddenWatch() async throws {
        let server = try KubeTestServer(tokens: ["no-watch": ["get", "list"]],
                                        nodes: [try kubeNode("n1", podCIDRs: ["10.244.1.0/24"])])
        defer { server.stop() }
        let recorder = await EventRecorder.recording(try makeKubeSource(server, credential: .token("no-watch")).watchNodes())
        defer { Task { await recorder.stop() } }
        let event = try await recorder.next { if case .unavailable = $0 { true } else { false } }
        guard case .unavailable(let reason) = event else { return }
        #expect(reason.contains("may not watch nodes"))
        try await server.control("tokens", ["no-watch": ["*"]])
        try await recorder.nextNodes(named: ["n1"])
    }

    @Test("401: an unknown token is refused with a message saying the credential is not valid")
    func unauthorized() async throws {
        let server = try KubeTestServer(nodes: [try kubeNode("n1", podCIDRs: ["10.244.1.0/24"])])
        defer { server.stop() }
        let source = try makeKubeSource(server, credential: .token("stale"))
        await #expect {
            _ = try await source.register(registration(1))
        } throws: { error in
            guard case KubeError.unauthorized(_, let verb, let resource, _) = error else { return false }
            return verb == "get" && resource == "nodes" && "\(error)".contains("refused the credential")
        }
    }

    @Test("a rotated service-account token: after a 401 the token file is read again and the watch carries on")
    func rotatedToken() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-token-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tokenPath = directory + "/token"
        try "old-token\n".write(toFile: tokenPath, atomically: true, encoding: .utf8)
        let server = try KubeTestServer(tokens: ["old-token": ["*"]], nodes: [try kubeNode("a", podCIDRs: ["10.244.1.0/24"])])
        defer { server.stop() }
        let source = try makeKubeSource(server, credential: .tokenFile(path: tokenPath))
        let recorder = await EventRecorder.recording(source.watchNodes())
        defer { Task { await recorder.stop() } }
        try await recorder.nextNodes(named: ["a"])
        try await server.awaitOpenWatches(1)

        // kubelet writes the new token; the API server stops accepting the old one.
        try "new-token\n".write(toFile: tokenPath, atomically: true, encoding: .utf8)
        try await server.control("tokens", ["new-token": ["*"]])
        try await server.control("drop", ["mode": "now"])
        try await server.put(kubeNode("b", podCIDRs: ["10.244.2.0/24"]))
        try await recorder.nextNodes(named: ["a", "b"])
        #expect(try await source.markNetworkAvailable(nodeName: "a"))
    }

    @Test("a client certificate from a kubeconfig authenticates over TLS")
    func clientCertificate() async throws {
        let server = try KubeTestServer(tokens: [:], nodes: [try kubeNode("n1", podCIDRs: ["10.244.1.0/24"])])
        defer { server.stop() }
        let path = server.pki.directory + "/kubeconfig-\(UUID().uuidString).yaml"
        try """
        apiVersion: v1
        kind: Config
        current-context: lab
        clusters:
        - name: lab
          cluster: {server: "\(server.url)", certificate-authority: ca.crt}
        contexts:
        - name: lab
          context: {cluster: lab, user: node}
        users:
        - name: node
          user: {client-certificate: client.crt, client-key: client.key}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let client = try KubeClient(config: try KubeClientConfig.kubeconfig(path: path))
        let source = KubernetesNodeSource(client: client, retry: fastRetry, logger: testLogger)
        #expect(try await source.register(registration(1)).podCIDRs == [IPPrefix("10.244.1.0/24")!])
    }
}
}
