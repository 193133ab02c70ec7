import Foundation
import Netlink
import TestSupport
import Testing

@Suite("Links")
struct LinkTests {
    @Test("veth pair: peer is created directly inside the other namespace with its MTU and MAC")
    func vethPeerLandsInOtherNamespace() throws {
        try withTestNamespaces(count: 2) { namespaces in
            let (host, pod) = (namespaces[0], namespaces[1])
            let handle = try NetlinkHandle(namespacePath: host.path)
            let peerMAC = try mac("02:aa:bb:cc:dd:01")
            try handle.addVethPair(name: "trlhost0", peerName: "eth0", peerNamespacePath: pod.path,
                                   mtu: 1450, peerMAC: peerMAC)

            let hostLink = try handle.link(named: "trlhost0")
            #expect(hostLink.kind == "veth")
            #expect(hostLink.mtu == 1450)
            let podLink = try NetlinkHandle(namespacePath: pod.path).link(named: "eth0")
            #expect(podLink.mac == peerMAC)
            #expect(podLink.mtu == 1450)
            #expect(podLink.kind == "veth")

            let shown = try #require(pod.json(["ip", "-j", "link", "show", "eth0"]).first)
            #expect(shown["address"] as? String == "02:aa:bb:cc:dd:01")
            #expect(shown["mtu"] as? Int == 1450)
            #expect(entries(try host.json(["ip", "-j", "link", "show"]), where: "ifname", is: "eth0").isEmpty)
            #expect(entries(try pod.json(["ip", "-j", "link", "show"]), where: "ifname", is: "trlhost0").isEmpty)
        }
    }

    @Test("set up and down: the API and ip both report the flag")
    func upAndDown() throws {
        try withTestNamespace { namespace in
            let handle = try NetlinkHandle(namespacePath: namespace.path)
            try handle.addVethPair(name: "trla", peerName: "trlb")
            #expect(try handle.link(named: "trla").isUp == false)

            try handle.setUp("trla")
            try handle.setUp("trlb")
            let up = try handle.link(named: "trla")
            #expect(up.isUp)
            #expect(up.hasCarrier)
            let flags = try #require(namespace.json(["ip", "-j", "link", "show", "trla"]).first?["flags"] as? [String])
            #expect(flags.contains("UP"))

            try handle.setDown("trla")
            #expect(try handle.link(named: "trla").isUp == false)
            let after = try #require(namespace.json(["ip", "-j", "link", "show", "trla"]).first?["flags"] as? [String])
            #expect(!after.contains("UP"))
        }
    }

    @Test("MTU and MAC changes are visible to ip")
    func mtuAndMAC() throws {
        try withTestNamespace { namespace in
            let handle = try NetlinkHandle(namespacePath: namespace.path)
            try handle.addVethPair(name: "trla", peerName: "trlb")
            let newMAC = try mac("02:00:00:00:00:42")
            try handle.setMTU(1280, of: "trla")
            try handle.setMAC(newMAC, of: "trla")

            let link = try handle.link(named: "trla")
            #expect(link.mtu == 1280)
            #expect(link.mac == newMAC)
            let shown = try #require(namespace.json(["ip", "-j", "link", "show", "trla"]).first)
            #expect(shown["mtu"] as? Int == 1280)
            #expect(shown["address"] as? String == "02:00:00:00:00:42")
        }
    }

    @Test("rename keeps the index; the old name is gone")
    func rename() throws {
        try withTestNamespace { namespace in
            let handle = try NetlinkHandle(namespacePath: namespace.path)
            try handle.addVethPair(name: "trla", peerName: "trlb")
            let before = try handle.link(named: "trla")

            try handle.rename("trla", to: "trlrenamed")

            #expect(try handle.link(named: "trlrenamed").index == before.index)
            #expect(try handle.link(index: before.index).name == "trlrenamed")
            #expect(throws: NetlinkError.self) { try handle.link(named: "trla") }
            #expect(entries(try namespace.json(["ip", "-j", "link", "show"]), where: "ifname", is: "trlrenamed").count == 1)
        }
    }

    @Test("move puts the device into the other namespace and out of this one")
    func move() throws {
        try withTestNamespaces(count: 2) { namespaces in
            let handle = try NetlinkHandle(namespacePath: namespaces[0].path)
            try handle.addVethPair(name: "trla", peerName: "trlb")

            try handle.move("trlb", toNamespacePath: namespaces[1].path)

            #expect(try handle.links().map(\.name).contains("trlb") == false)
            #expect(try NetlinkHandle(namespacePath: namespaces[1].path).link(named: "trlb").kind == "veth")
            #expect(entries(try namespaces[1].json(["ip", "-j", "link", "show"]), where: "ifname", is: "trlb").count == 1)
        }
    }

    @Test("delete removes both ends of a veth pair")
    func delete() throws {
        try withTestNamespace { namespace in
            let handle = try NetlinkHandle(namespacePath: namespace.path)
            try handle.addVethPair(name: "trla", peerName: "trlb")
            #expect(Set(try handle.links().map(\.name)).isSuperset(of: ["lo", "trla", "trlb"]))

            try handle.deleteLink(named: "trla")

            #expect(try handle.links().map(\.name) == ["lo"])
            #expect(try namespace.json(["ip", "-j", "link", "show"]).count == 1)
        }
    }

    @Test("a missing device is isNotFound and the message names it")
    func missingDevice() throws {
        try withTestNamespace { namespace in
            let handle = try NetlinkHandle(namespacePath: namespace.path)
            for attempt in [{ _ = try handle.link(named: "trlnope") },
                            { try handle.setUp("trlnope") },
                            { try handle.deleteLink(named: "trlnope") }] {
                let error = try #require(throws: NetlinkError.self) { try attempt() }
                #expect(error.isNotFound)
                #expect(error.errno == ENODEV)
                #expect(error.description.contains("trlnope"))
                #expect(error.description.hasSuffix("No such device"))
            }
            #expect(try handle.findLink(named: "trlnope") == nil)
            #expect(try handle.findLink(named: "lo")?.name == "lo")
        }
    }

    @Test("a duplicate veth name is isExists")
    func duplicateVeth() throws {
        try withTestNamespace { namespace in
            let handle = try NetlinkHandle(namespacePath: namespace.path)
            try handle.addVethPair(name: "trla", peerName: "trlb")
            let error = try #require(throws: NetlinkError.self) {
                try handle.addVethPair(name: "trla", peerName: "trlc")
            }
            #expect(error.isExists)
            #expect(error.description.contains("trla"))
        }
    }
}
