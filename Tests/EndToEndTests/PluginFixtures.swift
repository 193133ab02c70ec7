import Foundation
import TestSupport

/// Runs `body` with a fresh plugin node and `pods` pod namespaces, all removed afterwards.
/// Throws `StaleBinary` first when the plugin is older than its sources.
func withPluginNode<T>(pods: Int = 1, dualStack: Bool = false, writeNodeInfo: Bool = true,
                       _ body: (PluginNode, [TestNamespace]) throws -> T) throws -> T {
    try PluginProcess.verifyPluginFresh()
    return try withTestNamespaces(count: pods + 1) { namespaces in
        let node = try PluginNode(namespace: namespaces[0], dualStack: dualStack, writeNodeInfo: writeNodeInfo)
        return try body(node, Array(namespaces.dropFirst()))
    }
}

/// A container ID as runtimes make them: 64 hex characters.
func containerID(_ seed: Int = Int.random(in: 0..<Int.max)) -> String {
    let hex = String(UInt64(truncatingIfNeeded: seed), radix: 16)
    return String(repeating: "0", count: 64 - hex.count) + hex
}

extension PluginProcess.Output {
    /// The addresses (without prefix length) of `ips` in an ADD result.
    var addresses: [String] {
        (json["ips"] as? [[String: Any]] ?? []).compactMap { ($0["address"] as? String)?.split(separator: "/").first.map(String.init) }
    }
}

