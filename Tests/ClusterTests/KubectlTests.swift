import NetworkModel
@testable import Cluster
import Foundation
import IPAM
import Synchronization
import Testing
import TestSupport

/// Output a running child process has written so far.
private final class Output: Sendable {
    let text = Mutex("")
}

extension KubeIntegration {
/// The test API server is only worth testing against if real clients accept it: these run the
/// real `kubectl` (client-go) against it, and the agent's source beside it.
@Suite("the test API server against the real kubectl")
struct KubectlTests {
    private func kubeconfig(for server: KubeTestServer) throws -> String {
        let path = server.pki.directory + "/kubectl-\(UUID().uuidString).yaml"
        try """
        apiVersion: v1
        kind: Config
        current-context: lab
        clusters:
        - name: lab
          cluster: {server: "\(server.url)", certificate-authority: "\(server.pki.caPath)"}
        contexts:
        - name: lab
          context: {cluster: lab, user: agent}
        users:
        - name: agent
          user: {token: "\(agentToken)"}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("kubectl get nodes lists, get -w receives an added node, and kubectl patch changes what the source sees")
    func kubectlListWatchPatch() async throws {
        let server = try KubeTestServer(nodes: [try kubeNode("n1", podCIDRs: ["10.244.1.0/24"], internalIP: "198.18.0.11")])
        defer { server.stop() }
        let config = try kubeconfig(for: server)
        let kubectl = ["kubectl", "--kubeconfig", config]

        #expect(try run(kubectl + ["get", "nodes", "-o", "name"]) == "node/n1\n")
        #expect(try run(kubectl + ["get", "node", "n1", "-o", "jsonpath={.spec.podCIDRs[0]}"]) == "10.244.1.0/24")

        // kubectl get -w: list, then watch from the list's resourceVersion.
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        watcher.arguments = kubectl + ["get", "nodes", "-w", "-o", "name"]
        let pipe = Pipe()
        let output = Output()
        watcher.standardOutput = pipe
        watcher.standardError = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try watcher.run()
        defer {
            watcher.terminate()
            watcher.waitUntilExit()
            pipe.fileHandleForReading.readabilityHandler = nil
        }
        try await server.awaitOpenWatches(1)
        try await server.put(kubeNode("n2", podCIDRs: ["10.244.2.0/24"]))
        let deadline = ContinuousClock.now + .seconds(20)
        while !output.text.withLock({ $0.contains("node/n2") }) {
            guard ContinuousClock.now < deadline else {
                Issue.record("kubectl get -w printed only: \(output.text.withLock { $0 })")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }

        // kubectl patch (strategic merge, its default) of an annotation reaches the agent's watch.
        let source = try makeKubeSource(server)
        let recorder = await EventRecorder.recording(source.watchNodes())
        defer { Task { await recorder.stop() } }
        try await recorder.nextNodes(named: ["n1", "n2"])
        let patched = try run(kubectl + ["patch", "node", "n1", "-p", #"{"metadata":{"annotations":{"trellis.dev/public-ip":"198.18.0.200"}}}"#])
        #expect(patched == "node/n1 patched\n")
        _ = try await recorder.nextSet { nodes in
            return nodes.first { $0.name == "n1" }?.publicIP == IPAddress("198.18.0.200")
        }
        // What the agent patched, kubectl reads back.
        #expect(try await source.markNetworkAvailable(nodeName: "n2"))
        let reason = try run(kubectl + ["get", "node", "n2", "-o", #"jsonpath={.status.conditions[?(@.type=="NetworkUnavailable")].reason}"#])
        #expect(reason == "TrellisIsUp")
    }

    @Test("kubectl reads namespaces and pods, patches pod status, and applies a NetworkPolicy the server defaults")
    func kubectlPolicyObjects() async throws {
        let server = try KubeTestServer()
        defer { server.stop() }
        let kubectl = ["kubectl", "--kubeconfig", try kubeconfig(for: server)]
        for (namespace, team) in [("x", "red"), ("y", "blue")] {
            try await server.put(object: ["kind": "Namespace", "metadata": ["name": namespace, "labels": ["team": team]]])
        }
        try await server.put(object: ["kind": "Pod", "metadata": ["name": "a", "namespace": "x", "labels": ["pod": "a"]],
                                      "spec": ["nodeName": "n1", "containers": [["name": "c", "image": "i", "ports": [["name": "http", "containerPort": 80]]]]]])
        try await server.put(object: ["kind": "Pod", "metadata": ["name": "b", "namespace": "y"], "spec": ["containers": [["name": "c", "image": "i"]]]])

        #expect(try run(kubectl + ["get", "namespaces", "-o", "name"]) == "namespace/x\nnamespace/y\n")
        #expect(try run(kubectl + ["get", "namespace", "x", "-o", #"jsonpath={.metadata.labels.kubernetes\.io/metadata\.name}"#]) == "x")
        #expect(try run(kubectl + ["get", "pods", "--all-namespaces", "-o", "name"]) == "pod/a\npod/b\n")
        #expect(try run(kubectl + ["get", "pods", "-n", "x", "-o", "jsonpath={.items[0].spec.containers[0].ports[0].protocol} {.items[0].status.phase}"]) == "TCP Pending")
        // kubelet publishes the addresses through the status subresource.
        _ = try run(kubectl + ["patch", "pod", "a", "-n", "x", "--subresource=status", "--type=merge",
                               "-p", #"{"status":{"phase":"Running","podIPs":[{"ip":"10.244.1.5"}]}}"#])
        #expect(try run(kubectl + ["get", "pod", "a", "-n", "x", "-o", "jsonpath={.status.podIPs[0].ip} {.spec.nodeName}"]) == "10.244.1.5 n1")

        let manifest = server.pki.directory + "/policy-\(UUID().uuidString).yaml"
        try """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: allow-http, namespace: x}
        spec:
          podSelector: {matchLabels: {pod: a}}
          ingress:
          - from: [{namespaceSelector: {matchLabels: {team: blue}}}]
            ports: [{port: http}]
        """.write(toFile: manifest, atomically: true, encoding: .utf8)
        #expect(try run(kubectl + ["apply", "-f", manifest]) == "networkpolicy.networking.k8s.io/allow-http created\n")
        #expect(try run(kubectl + ["get", "networkpolicies", "-n", "x", "-o", "name"]) == "networkpolicy.networking.k8s.io/allow-http\n")
        #expect(try run(kubectl + ["get", "netpol", "allow-http", "-n", "x", "-o", "jsonpath={.spec.policyTypes} {.spec.ingress[0].ports[0].protocol}"]) == #"["Ingress"] TCP"#)
        // What kubectl wrote, the agent's decoder reads.
        let stored = try await server.object(kind: "NetworkPolicy", namespace: "x", name: "allow-http")
        let policy = try JSONDecoder().decode(KubeNetworkPolicy.self, from: JSONSerialization.data(withJSONObject: stored))
        #expect(policy.spec.ingress?.first?.ports?.first?.port == .string("http"))
        #expect(policy.spec.ingress?.first?.from?.first?.namespaceSelector?.matchLabels == ["team": "blue"])
        #expect(try run(kubectl + ["delete", "-f", manifest]) == "networkpolicy.networking.k8s.io \"allow-http\" deleted\n")
        #expect(try run(kubectl + ["get", "networkpolicies", "-A", "-o", "name"]).isEmpty)
    }

    @Test("kubectl with a token lacking the verb gets the API server's 403 Status message")
    func kubectlForbidden() async throws {
        let server = try KubeTestServer(tokens: [agentToken: ["get", "list"]], nodes: [try kubeNode("n1", podCIDRs: ["10.244.1.0/24"])])
        defer { server.stop() }
        let config = try kubeconfig(for: server)
        #expect {
            try run(["kubectl", "--kubeconfig", config, "patch", "node", "n1", "-p", #"{"metadata":{"labels":{"a":"b"}}}"#])
        } throws: { error in
            "\(error)".contains("cannot patch resource \"nodes\"")
        }
    }
}
}
