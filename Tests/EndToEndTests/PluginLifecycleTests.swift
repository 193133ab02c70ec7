import NetworkModel
import Foundation
import IPAM
import Testing
import TestSupport

/// ADD, CHECK and DEL of the real `trellis` binary in namespaces the tests create.
@Suite(.serialized) struct PluginLifecycleTests {
    static let versions = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]

    @Test(arguments: versions)
    func addCheckDelInEveryVersionWiresAndFreesThePod(version: String) throws {
        try withPluginNode { node, pods in
            let id = containerID(1)
            let config = node.config(version: version)
            let add = try node.run("ADD", containerID: id, netns: pods[0].path,
                                   args: "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1", config: config)
            try #require(add.exitCode == 0, "ADD failed: \(add.text)")
            #expect(add.json["cniVersion"] as? String == version)
            let ips = try #require(add.json["ips"] as? [[String: Any]])
            #expect(ips.count == 1)
            #expect((ips[0]["version"] as? String == "4") == version.hasPrefix("0."), "0.x results carry ips[].version, 1.x do not")
            #expect(ips[0]["gateway"] as? String == "169.254.1.1")
            let address = try #require(add.addresses.first)
            #expect(PluginNode.slice.contains(IPAddress(address)!))
            #expect(node.canPing(address), "the node reaches its pod")

            let podAddr = try pods[0].json(["ip", "-j", "addr", "show", "eth0"])
            let mtu = podAddr.first?["mtu"] as? Int
            #expect(mtu == 1450, "pod MTU comes from node.json")

            var checkConfig = try JSONSerialization.jsonObject(with: config) as! [String: Any]
            checkConfig["prevResult"] = add.json
            let check = try node.run("CHECK", containerID: id, netns: pods[0].path,
                                     config: try JSONSerialization.data(withJSONObject: checkConfig))
            if version.hasPrefix("0.3") {
                #expect(check.errorCode == 1, "CHECK needs cniVersion 0.4.0 or later")
            } else {
                #expect(check.exitCode == 0, "CHECK of a healthy pod passes: \(check.text)")
            }

            let record = try #require(try node.allocations().first)
            #expect(record.pod.name == "web-1" && record.pod.namespace == "default")
            #expect(try node.hostVeths().count == 1)

            let del = try node.run("DEL", containerID: id, netns: pods[0].path, config: config)
            #expect(del.exitCode == 0, "DEL: \(del.text)")
            #expect(try node.allocations().isEmpty, "DEL frees the address")
            #expect(try eventually(within: .seconds(2)) { try node.hostVeths().isEmpty }, "DEL removes the veth")
            let again = try node.run("DEL", containerID: id, netns: pods[0].path, config: config)
            #expect(again.exitCode == 0, "a second DEL succeeds too")
        }
    }

    @Test func dualStackAddGivesOneAddressPerFamilyAndBothAnswer() throws {
        try withPluginNode(dualStack: true) { node, pods in
            let add = try node.run("ADD", containerID: containerID(2), netns: pods[0].path, config: node.config(version: "1.1.0"))
            try #require(add.exitCode == 0, "ADD failed: \(add.text)")
            let addresses = add.addresses.compactMap(IPAddress.init)
            #expect(Set(addresses.map(\.family)) == [.v4, .v6])
            for address in addresses {
                #expect(node.canPing(address.description), "\(address) answers from the node")
            }
            let routes6 = try pods[0].json(["ip", "-j", "-6", "route", "show", "default"])
            #expect(routes6.first?["gateway"] as? String == "fe80::1")
            let tentative = try pods[0].exec(["ip", "-6", "addr", "show", "dev", "eth0", "scope", "global", "tentative"])
            #expect(tentative.isEmpty, "the pod's address does not wait for DAD: \(tentative)")
        }
    }

    @Test func checkReportsAMissingDefaultRoute() throws {
        try withPluginNode { node, pods in
            let id = containerID(3)
            let config = node.config(version: "1.0.0")
            let add = try node.run("ADD", containerID: id, netns: pods[0].path, config: config)
            try #require(add.exitCode == 0)
            _ = try pods[0].exec(["ip", "route", "del", "default"])
            var checkConfig = try JSONSerialization.jsonObject(with: config) as! [String: Any]
            checkConfig["prevResult"] = add.json
            let check = try node.run("CHECK", containerID: id, netns: pods[0].path,
                                     config: try JSONSerialization.data(withJSONObject: checkConfig))
            #expect(check.errorCode == 103)
            #expect((check.json["msg"] as? String ?? "").contains("route 0.0.0.0/0 via 169.254.1.1 is missing"), "\(check.text)")
        }
    }

    @Test func delAfterTheNetnsVanishedSucceedsAndFreesEverything() throws {
        try withPluginNode { node, pods in
            let id = containerID(4)
            let add = try node.run("ADD", containerID: id, netns: pods[0].path)
            try #require(add.exitCode == 0)
            pods[0].remove()
            let del = try node.run("DEL", containerID: id, netns: pods[0].path)
            #expect(del.exitCode == 0, "\(del.text)")
            #expect(try node.allocations().isEmpty)
            #expect(try eventually(within: .seconds(2)) { try node.hostVeths().isEmpty })
        }
    }

    @Test func repeatedAddOfAWiredAttachmentKeepsItsAddress() throws {
        try withPluginNode { node, pods in
            let id = containerID(5)
            let first = try node.run("ADD", containerID: id, netns: pods[0].path)
            let second = try node.run("ADD", containerID: id, netns: pods[0].path)
            #expect(first.exitCode == 0 && second.exitCode == 0, "\(second.text)")
            #expect(first.addresses == second.addresses)
            #expect(try node.allocations().count == 1)
            #expect(node.canPing(second.addresses[0]))
        }
    }
}
