import NetworkModel
import Foundation
import IPAM
import TestSupport

/// One node for plugin tests: a network namespace the plugin runs in, its own run and data
/// directories, and a `node.json` as the agent would write it. Pods are namespaces of their own.
final class PluginNode {
    static let slice = IPPrefix("10.244.1.0/24")!
    static let slice6 = IPPrefix("fd00:10:244:1::/64")!
    /// The node's own addresses (on `lo`): the source of its pings, a destination for its pods.
    static let address = "198.18.0.10"
    static let address6 = "fd00:198:18::10"

    let namespace: TestNamespace
    let root: URL
    var runDir: String { root.appendingPathComponent("run").path }
    var dataDir: String { root.appendingPathComponent("data").path }
    var plugin: PluginProcess { PluginProcess(nodeNamespace: namespace.path) }

    /// A node whose slice is 10.244.1.0/24 (and fd00:10:244:1::/64 when `dualStack`), with an
    /// address of its own per family so it can ping its pods.
    init(namespace: TestNamespace, dualStack: Bool = false, writeNodeInfo: Bool = true) throws {
        self.namespace = namespace
        root = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: root.appendingPathComponent("run").path, withIntermediateDirectories: true)
        _ = try namespace.exec(["ip", "addr", "add", "\(Self.address)/32", "dev", "lo"])
        _ = try namespace.exec(["ip", "addr", "add", "\(Self.address6)/128", "dev", "lo"])
        if writeNodeInfo {
            let node = NodeInfo(nodeName: "node-1", podCIDRs: dualStack ? [Self.slice, Self.slice6] : [Self.slice],
                                clusterCIDRs: [IPPrefix("10.244.0.0/16")!], mtu: 1450, mode: .vxlan)
            try node.write(to: runDir)
        }
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// A plugin config for this node as JSON, with `extra` keys merged in.
    func config(version: String = "1.0.0", name: String = "trellis", _ extra: [String: Any] = [:]) -> Data {
        var object: [String: Any] = ["cniVersion": version, "name": name, "type": "trellis",
                                     "runDir": runDir, "dataDir": dataDir,
                                     "logFile": root.appendingPathComponent("trellis.log").path, "logLevel": "debug"]
        object.merge(extra) { _, new in new }
        return try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// Runs one verb of the plugin in this node.
    func run(_ command: String, containerID: String? = nil, netns: String? = nil, ifname: String? = "eth0",
             args: String? = nil, config: Data? = nil) throws -> PluginProcess.Output {
        try plugin.run(cniVariables(command, containerID: containerID, netns: netns, ifname: ifname, args: args),
                       stdin: config ?? self.config())
    }

    /// The addresses the store holds, as `cnictl ipam show` would list them.
    func allocations(network: String = "trellis") throws -> [AllocationRecord] {
        try DiskStore(dataDir: dataDir, network: network).list().records
    }

    /// Names of the host veths (`trl…`) in the node.
    func hostVeths() throws -> [String] {
        let output = try namespace.exec(["ip", "-j", "link", "show"])
        let links = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]] ?? []
        return links.compactMap { $0["ifname"] as? String }.filter { $0.hasPrefix("trl") }.sorted()
    }

    /// Runs `cnictl ipam ARGUMENTS --data-dir DATADIR` in the node's namespace (after checking
    /// that the binary is not older than the sources) and returns its stdout; throws
    /// `CommandError` (exit status, stderr) when it fails. `prefix` runs before it, e.g.
    /// `unshare -m ...` for another mount namespace.
    @discardableResult
    func cnictlIPAM(_ arguments: [String], prefix: [String] = []) throws -> String {
        try PluginProcess.verifyCnictlFresh()
        return try namespace.exec(prefix + [PluginProcess.cnictl, "ipam"] + arguments + ["--data-dir", dataDir])
    }

    /// Creates a veth pair in the node whose host end has a Trellis name but no allocation (as a
    /// crash between steps leaves one); returns that name.
    func makeOrphanVeth(_ name: String) throws -> String {
        try namespace.exec(["ip", "link", "add", name, "type", "veth", "peer", "name", "peer-" + name.suffix(8)])
        return name
    }

    /// True when one ICMP echo from the node to `address` is answered within a second.
    func canPing(_ address: String) -> Bool {
        (try? namespace.exec(["ping", "-c", "1", "-W", "1", address])) != nil
    }
}
