@testable import Cluster
import Foundation
import Testing
import TestSupport

/// The test API server (`kube-api-server.py`, Python stdlib) in a child process on 127.0.0.1 and
/// a random port, over HTTPS with `KubeTestPKI`, and the test's handle on its controls: put and
/// delete nodes, expire watches (410), drop connections mid-event, slow it down, rotate tokens,
/// read the requests it served.
final class KubeTestServer: Sendable {
    /// `https://127.0.0.1:PORT`.
    let url: String
    let pki: KubeTestPKI
    private let process: Process
    private let control: KubeClient

    /// Starts a server accepting `tokens` (token → verbs, `*` for all) and holding `nodes`.
    init(tokens: [String: [String]] = [agentToken: ["*"]], nodes: [[String: Any]] = []) throws {
        pki = try KubeTestPKI.shared.get()
        let nodesPath = pki.directory + "/nodes-\(UUID().uuidString).json"
        try JSONSerialization.data(withJSONObject: nodes).write(to: URL(fileURLWithPath: nodesPath))
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("kube-api-server.py").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--nodes", nodesPath, "--tls-cert", pki.serverCertificatePath,
                             "--tls-key", pki.serverKeyPath, "--client-ca", pki.caPath]
            + tokens.map { "--token=\($0.key)=\($0.value.joined(separator: ","))" }
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let more = stdout.fileHandleForReading.availableData
            guard !more.isEmpty else { throw KubeTestServerError(message: "kube-api-server.py exited while starting") }
            line += more
        }
        let port = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        url = "https://127.0.0.1:\(port)"
        control = try KubeClient(config: KubeClientConfig(server: url, certificateAuthority: pki.ca))
    }

    deinit {
        stop()
    }

    /// Stops the server and waits for it. SIGKILL: the test runner starts children with SIGTERM
    /// blocked, and the server holds nothing that needs a clean exit.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// A configuration for the agent: this server, its CA, `credential`.
    func config(_ credential: KubeCredential = .token(agentToken)) -> KubeClientConfig {
        KubeClientConfig(server: url, certificateAuthority: pki.ca, credential: credential)
    }

    /// Runs control `op` with a JSON body and returns the answer's JSON.
    @discardableResult
    func control(_ op: String, _ body: Any = [String: Any]()) async throws -> Any {
        let data = try JSONSerialization.data(withJSONObject: body)
        let response = try await control.send(.POST, "/_control/\(op)", body: Array(data),
                                               action: .init(verb: "control", resource: op))
        let answer = try await response.body.collect(upTo: 64 << 20)
        return try JSONSerialization.jsonObject(with: Data(answer.readableBytesView))
    }

    /// Creates or replaces a node.
    func put(_ node: [String: Any]) async throws {
        try await control("put-node", node)
    }

    /// Deletes node `name`.
    func delete(_ name: String) async throws {
        try await control("delete-node", ["name": name])
    }

    /// The API requests served so far (method, path, query, contentType, body).
    func requests() async throws -> [KubeRequest] {
        let list = try await control("requests") as? [[String: Any]] ?? []
        return list.map { entry in
            KubeRequest(method: entry["method"] as? String ?? "", path: entry["path"] as? String ?? "",
                        query: entry["query"] as? [String: String] ?? [:], contentType: entry["contentType"] as? String,
                        body: entry["body"] as? String)
        }
    }

    /// How many watches are open now.
    func openWatches() async throws -> Int {
        (try await control("state") as? [String: Any])?["watchers"] as? Int ?? -1
    }

    /// Node `name` as the server holds it.
    func node(_ name: String) async throws -> [String: Any] {
        let object = try await control("get-node", ["name": name])
        return try #require(object as? [String: Any])
    }

    /// Waits until `condition` holds for the served requests, polling; throws after `timeout`.
    @discardableResult
    func awaitRequests(within timeout: Duration = .seconds(20), _ what: String,
                       _ condition: ([KubeRequest]) -> Bool) async throws -> [KubeRequest] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let served = try await requests()
            if condition(served) { return served }
            guard ContinuousClock.now < deadline else {
                throw KubeTestServerError(message: "no \(what) within \(timeout); served: \(served.map(\.summary))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits until `count` watches are open.
    func awaitOpenWatches(_ count: Int, within timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await openWatches() != count {
            guard ContinuousClock.now < deadline else {
                throw KubeTestServerError(message: "not \(count) open watches within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// The token the agent is given unless a test says otherwise.
let agentToken = "agent-token"

/// One request the test server served.
struct KubeRequest: Sendable {
    let method: String
    let path: String
    let query: [String: String]
    let contentType: String?
    let body: String?

    var isList: Bool { method == "GET" && path == "/api/v1/nodes" && query["watch"] == nil }
    var isWatch: Bool { method == "GET" && path == "/api/v1/nodes" && query["watch"] != nil }
    var summary: String { "\(method) \(path)?\(query.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "&"))" }
}

/// The test server did not start or a condition did not come true in time.
struct KubeTestServerError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A Node object as the API returns it: the `node-worker-1.json` fixture renamed, with the given
/// slices (none: not yet assigned), InternalIP and Trellis annotations (none: not yet published).
func kubeNode(_ name: String, podCIDRs: [String]? = nil, internalIP: String = "198.18.0.50",
              annotations: [String: String] = [:]) throws -> [String: Any] {
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/node-worker-1.json")
    var node = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: fixture)) as? [String: Any])
    var metadata = node["metadata"] as? [String: Any] ?? [:]
    var spec = node["spec"] as? [String: Any] ?? [:]
    var status = node["status"] as? [String: Any] ?? [:]
    metadata["name"] = name
    metadata["uid"] = UUID().uuidString.lowercased()
    var existing = (metadata["annotations"] as? [String: String] ?? [:]).filter { !$0.key.hasPrefix("trellis.dev/") }
    existing.merge(annotations) { $1 }
    metadata["annotations"] = existing
    spec["podCIDRs"] = podCIDRs
    spec["podCIDR"] = podCIDRs?.first
    status["addresses"] = [["type": "InternalIP", "address": internalIP], ["type": "Hostname", "address": name]]
    node["metadata"] = metadata
    node["spec"] = spec
    node["status"] = status
    return node
}

/// Every test that starts a test API server runs inside this suite, one at a time.
@Suite("Kubernetes API integration", .serialized, .timeLimit(.minutes(2)))
struct KubeIntegration {}
