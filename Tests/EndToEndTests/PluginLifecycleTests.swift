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

    @Test func twoAttachmentsOfOneContainerAreWiredAndFreedEachOnItsOwn() throws {
        try withPluginNode { node, pods in
            let id = containerID(6)
            let config = node.config(version: "1.1.0")
            let eth0 = try node.run("ADD", containerID: id, netns: pods[0].path, ifname: "eth0", config: config)
            let net1 = try node.run("ADD", containerID: id, netns: pods[0].path, ifname: "net1", config: config)
            try #require(eth0.exitCode == 0 && net1.exitCode == 0, "\(eth0.text) \(net1.text)")
            let (first, second) = (try #require(eth0.addresses.first), try #require(net1.addresses.first))
            #expect(first != second)
            #expect(try node.hostVeths().count == 2, "one host veth per attachment")
            #expect(node.canPing(first) && node.canPing(second))

            let del = try node.run("DEL", containerID: id, netns: pods[0].path, ifname: "net1", config: config)
            #expect(del.exitCode == 0, "\(del.text)")
            #expect(try eventually(within: .seconds(2)) { try node.hostVeths().count == 1 }, "net1's veth goes")
            #expect(try node.allocations().map(\.attachment.ifname) == ["eth0"])
            #expect(node.canPing(first), "eth0 keeps working")

            let again = try node.run("ADD", containerID: id, netns: pods[0].path, ifname: "net1", config: config)
            try #require(again.exitCode == 0, "\(again.text)")
            let gc = try node.run("GC", config: node.config(version: "1.1.0", ["cni.dev/valid-attachments": [["containerID": id, "ifname": "eth0"]]]))
            #expect(gc.exitCode == 0, "\(gc.text)")
            #expect(try node.allocations().map(\.attachment.ifname) == ["eth0"], "GC listing only eth0 frees net1")
            #expect(try node.hostVeths().count == 1)
            #expect(try pods[0].json(["ip", "-j", "link", "show"]).compactMap { $0["ifname"] as? String }.sorted() == ["eth0", "lo"])
            #expect(node.canPing(first))
        }
    }

    @Test func failedAddIsLoggedWithItsReason() throws {
        try withPluginNode(writeNodeInfo: false) { node, pods in
            let add = try node.run("ADD", containerID: containerID(7), netns: pods[0].path)
            #expect(add.errorCode == 11, "no node.json yet: try again later")
            let log = try String(contentsOfFile: node.root.appendingPathComponent("trellis.log").path, encoding: .utf8)
            #expect(log.contains(" error [") && log.contains("ADD \(containerID(7))/eth0 failed:")
                    && log.contains("node.json does not exist"), "\(log)")
        }
    }
}
