import Foundation
import Testing
import TestSupport

/// trellis's result as `prevResult` of Debian's reference plugins (which speak up to 1.0.0),
/// as in the example conflist.
@Suite(.serialized) struct ChainingTests {
    /// Runs reference plugin `type` after trellis with `prevResult` = trellis's result.
    func runReference(_ type: String, _ command: String, node: PluginNode, containerID id: String, netns: String,
                      prevResult: [String: Any], _ keys: [String: Any]) throws -> PluginProcess.Output {
        var config: [String: Any] = ["cniVersion": "1.0.0", "name": "trellis", "type": type, "prevResult": prevResult]
        config.merge(keys) { _, new in new }
        let plugin = PluginProcess(executable: "/usr/lib/cni/\(type)", nodeNamespace: node.namespace.path)
        return try plugin.run(cniVariables(command, containerID: id, netns: netns),
                              stdin: try JSONSerialization.data(withJSONObject: config))
    }

    @Test func portmapAcceptsTheResultAndMapsAHostPortToThePod() throws {
        try withPluginNode { node, pods in
            let id = containerID(400)
            let add = try node.run("ADD", containerID: id, netns: pods[0].path)
            try #require(add.exitCode == 0)
            let keys: [String: Any] = ["capabilities": ["portMappings": true], "snat": true,
                                       "runtimeConfig": ["portMappings": [["hostPort": 8080, "containerPort": 80, "protocol": "tcp"]]]]
            let portmap = try runReference("portmap", "ADD", node: node, containerID: id, netns: pods[0].path,
                                           prevResult: add.json, keys)
            #expect(portmap.exitCode == 0, "portmap ADD: \(portmap.text)")
            #expect(portmap.addresses == add.addresses, "portmap passes the result on")
            let nat = try node.namespace.exec(["iptables-save", "-t", "nat"])
            #expect(nat.contains("--dport 8080") && nat.contains("\(add.addresses[0]):80"), "DNAT 8080 -> pod:80:\n\(nat)")

            let del = try runReference("portmap", "DEL", node: node, containerID: id, netns: pods[0].path,
                                       prevResult: add.json, keys)
            #expect(del.exitCode == 0, "portmap DEL: \(del.text)")
            #expect(!(try node.namespace.exec(["iptables-save", "-t", "nat"])).contains("--dport 8080"))
        }
    }

    @Test func bandwidthFindsTheHostVethInTheResultAndShapesIt() throws {
        try withPluginNode { node, pods in
            let id = containerID(401)
            let add = try node.run("ADD", containerID: id, netns: pods[0].path)
            try #require(add.exitCode == 0)
            let keys: [String: Any] = ["ingressRate": 8_000_000, "ingressBurst": 100_000]
            let bandwidth = try runReference("bandwidth", "ADD", node: node, containerID: id, netns: pods[0].path,
                                             prevResult: add.json, keys)
            #expect(bandwidth.exitCode == 0, "bandwidth ADD: \(bandwidth.text)")
            let hostVeth = try #require(try node.hostVeths().first)
            let qdisc = try node.namespace.exec(["tc", "qdisc", "show", "dev", hostVeth])
            #expect(qdisc.contains("tbf"), "a token bucket on \(hostVeth): \(qdisc)")
        }
    }
}
