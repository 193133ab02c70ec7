import Foundation
import IPAM
import Netlink
import TestSupport
import Testing

@Suite("Links")
struct LinkTests {
    @Test("veth pair: peer created directly inside the other namespace by one request")
    func vethPeerLandsInOtherNamespace() throws {
        try withTestNamespaces(count: 2) { namespaces in
            let (host, pod) = (namespaces[0], namespaces[1])
            let handle = try NetlinkHandle(namespacePath: host.path)
            let mac = try #require(MACAddress("02:aa:bb:cc:dd:01"))
            try handle.addVethPair(name: "trlhost0", peerName: "eth0", peerNamespacePath: pod.path,
                                   mtu: 1450, peerMAC: mac)

            let hostLink = try handle.link(named: "trlhost0")
            #expect(hostLink.kind == "veth")
            #expect(hostLink.mtu == 1450)
            let podLink = try NetlinkHandle(namespacePath: pod.path).link(named: "eth0")
            #expect(podLink.mac == mac)
            #expect(podLink.mtu == 1450)

            let shown = try pod.json(["ip", "-j", "link", "show", "eth0"])
            #expect(shown.first?["address"] as? String == "02:aa:bb:cc:dd:01")
            #expect(try host.json(["ip", "-j", "link", "show"]).contains { $0["ifname"] as? String == "eth0" } == false)
        }
    }
}
