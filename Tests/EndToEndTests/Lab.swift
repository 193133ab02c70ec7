import Foundation
import IPAM
import TestSupport

/// One multi-node lab (`lab/lab`, see `lab/README.md`) driven from Swift: network namespaces for a
/// bridge, a router, the datastore (etcd or the test Kubernetes API server) and the nodes, `trellisd` in every node, pods wired by `trellis`. The
/// script does the work; this type names its commands and parses what they print.
///
/// Every lab gets a unique name, so labs of concurrent runs never collide. `init` brings the lab up
/// with two pods per node (`pod-1a`, `pod-1b`, ...) and throws, with the script's stderr and the
/// agents' logs, when it does not come up; `down()` removes everything it made.
final class Lab: Sendable {
    /// `lab/lab` of this checkout.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("lab/lab").path

    /// The nodes `init` creates: node-1 ... node-3; in hybrid mode node-3 is behind the router.
    static let nodes = ["node-1", "node-2", "node-3"]

    /// Where the agents learn their peers (`lab/lab up --datastore`).
    enum Datastore: String, Sendable {
        case etcd, kubernetes
    }

    let name: String
    let mode: NodeInfo.Mode
    let datastore: Datastore
    /// The agents' `--resync-interval`.
    let resyncInterval: Duration
    let stateDir: String

    /// The pods `init` wires: two per node, `[(pod, node)]`.
    var pods: [(pod: String, node: String)] {
        Self.nodes.flatMap { node in ["a", "b"].map { ("pod-\(node.dropFirst(5))\($0)", node) } }
    }

    /// With `etcdTLS`, etcd speaks https with client certificates and the agents get
    /// `--etcd-cafile` (a copy per node, `etcd-ca.crt` in its dir), `--etcd-certfile`, `--etcd-keyfile`.
    /// With `dualStack`, the underlay carries IPv6 too and pods get both families (`up --dual-stack`).
    /// Without `defaultPods`, no pod is made (the caller makes its own).
    init(mode: NodeInfo.Mode, datastore: Datastore = .etcd, resyncInterval: Duration = .seconds(2),
         etcdTLS: Bool = false, dualStack: Bool = false, defaultPods: Bool = true) throws {
        self.mode = mode
        self.datastore = datastore
        self.resyncInterval = resyncInterval
        name = "trl-e2e-" + String(format: "%04x", UInt16.random(in: .min ... .max)) + "-"
            + (datastore == .etcd ? "" : "k-") + (etcdTLS ? "t-" : "") + (dualStack ? "d-" : "") + mode.rawValue
        stateDir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-lab/\(name)").path
        do {
            try lab(["up", "--nodes", "\(Self.nodes.count)", "--mode", mode.rawValue, "--datastore", datastore.rawValue,
                     "--resync-interval", "\(resyncInterval.components.seconds)s"] + (etcdTLS ? ["--etcd-tls"] : [])
                    + (dualStack ? ["--dual-stack"] : []))
            if defaultPods { for (pod, node) in pods { _ = try lab(["pod", node, pod]) } }
        } catch {
            down()
            throw error
        }
    }

    /// Stops every process of the lab and deletes its namespaces and state. Never throws.
    func down() { _ = try? lab(["down"]) }

    /// Runs `lab/lab ARGUMENTS` for this lab and returns its stdout; throws `CommandError` (with
    /// stderr) when it fails.
    /// `environment` reaches what the script starts (`TRELLIS_LEASE_TTL` for a new node's agent).
    @discardableResult
    func lab(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        try run(["env", "LAB=\(name)", "LAB_STATE_DIR=\(stateDir)", "TRELLIS_BIN_DIR=\(PluginProcess.binDir)"]
                + environment.map { "\($0.key)=\($0.value)" } + [Self.script] + arguments)
    }

    /// Runs `lab/lab ARGUMENTS` and returns whether it succeeded and its stdout and stderr, merged:
    /// for commands whose failure is an outcome (`mesh`), not an error.
    func attempt(_ arguments: [String]) throws -> (succeeded: Bool, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.script)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["LAB": name, "LAB_STATE_DIR": stateDir, "TRELLIS_BIN_DIR": PluginProcess.binDir]) { _, new in new }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus == 0, String(decoding: data, as: UTF8.self))
    }

    /// Runs `argv` in a node's, pod's, or etcd's, router's or bridge's namespace.
    @discardableResult
    func exec(_ target: String, _ argv: [String]) throws -> String {
        try lab(["exec", target] + argv)
    }

    /// Runs an `ip -j` / `bridge -j` command in `target` and parses its output.
    func json(_ target: String, _ argv: [String]) throws -> [[String: Any]] {
        try jsonObjects(exec(target, argv))
    }

    /// `lab info NODE`: namespace, address, segment (near|far), slice, run_dir, data_dir, logs.
    func info(_ node: String) throws -> [String: String] {
        var info: [String: String] = [:]
        for line in try lab(["info", node]).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { info[parts[0]] = parts[1] }
        }
        return info
    }

    /// The node's pod CIDR, as its agent wrote it to `node.json`.
    func slice(of node: String) throws -> String {
        guard let slice = try info(node)["slice"], !slice.isEmpty else {
            throw LabError(message: "\(node) has no slice in node.json")
        }
        return slice
    }

    /// The status code of the node agent's `/readyz` (0 when nothing answers).
    func readyz(_ node: String) -> Int {
        (try? lab(["readyz", node])).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
    }

    /// Waits until the agents of `nodes` (default: all) are ready and route to every peer's slice.
    func waitReady(_ nodes: [String] = [], timeout: Duration = .seconds(60)) throws {
        try lab(["wait-ready", "--timeout", "\(timeout.components.seconds)"] + nodes)
    }

    /// `lab mesh`: whether every pod reaches every other, and the grid it printed.
    func mesh() throws -> (succeeded: Bool, output: String) { try attempt(["mesh"]) }

    func stopAgent(_ node: String) throws { try lab(["stop-agent", node]) }
    func startAgent(_ node: String) throws { try lab(["start-agent", node]) }
    func restartAgent(_ node: String) throws { try lab(["restart-agent", node]) }
    func stopEtcd() throws { try lab(["stop-etcd"]) }
    func startEtcd() throws { try lab(["start-etcd"]) }

    /// A new node running `trellisd` (behind the router when `far`; none without `agent`, for
    /// one the test runs itself); returns its name.
    func addNode(far: Bool = false, agent: Bool = true, environment: [String: String] = [:]) throws -> String {
        try lab(["add-node"] + (far ? ["--far"] : []) + (agent ? [] : ["--no-agent"]), environment: environment)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the node's agent, deletes its etcd records (or its Node object), its pods and its
    /// namespace.
    func removeNode(_ node: String) throws { try lab(["remove-node", node]) }

    /// The Node object `node` as the lab's API server returns it to an agent (kubernetes datastore
    /// only); throws when the server has no such node.
    func kubeNode(_ node: String) throws -> [String: Any] {
        let body = try lab(["kube-get", "/api/v1/nodes/\(node)"])
        guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            throw LabError(message: "the API server answered GET \(node) with no object: \(body)")
        }
        return object
    }

    /// The kernel's route to exactly `prefix` (IPv4 or IPv6) in `node`, if it has one.
    func route(on node: String, to prefix: String) throws -> LabRoute? {
        try json(node, ["ip", prefix.contains(":") ? "-6" : "-4", "-j", "route", "show", "exact", prefix]).first.map(LabRoute.init)
    }

    /// The routes to other nodes' slices in `node`: every route inside the cluster CIDR that is
    /// not a /32 to one of its own pods.
    func peerRoutes(on node: String) throws -> Set<LabRoute> {
        Set(try json(node, ["ip", "-j", "route", "show", "root", "10.244.0.0/16"]).map(LabRoute.init)
            .filter { !$0.destination.hasSuffix("/32") && $0.destination.contains("/") })
    }

    /// The MAC address of the node's `trellis.vxlan` device (its VTEP MAC).
    func vtepMAC(of node: String) throws -> String {
        guard let mac = try json(node, ["ip", "-j", "link", "show", "trellis.vxlan"]).first?["address"] as? String else {
            throw LabError(message: "\(node) has no trellis.vxlan device")
        }
        return mac
    }
}

/// A route as `ip -j route` reports it, reduced to what identifies where it sends packets.
struct LabRoute: Hashable, CustomStringConvertible {
    var destination: String
    var gateway: String?
    var device: String?
    var onLink: Bool

    init(_ object: [String: Any]) {
        destination = object["dst"] as? String ?? "?"
        gateway = object["gateway"] as? String
        device = object["dev"] as? String
        onLink = (object["flags"] as? [String] ?? []).contains("onlink")
    }

    var description: String {
        [destination, gateway.map { "via \($0)" }, device.map { "dev \($0)" }, onLink ? "onlink" : nil]
            .compactMap { $0 }.joined(separator: " ")
    }
}

/// A lab precondition that does not hold.
struct LabError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
