import Netlink
import Overlay
import Testing

@Suite("DatapathRemoval (kernel)", .serialized)
struct DatapathRemovalKernelTests {
    @Test("uninstall removes Trellis's routes, then its nexthops, then the vxlan device, keeps foreign ones, and is idempotent")
    func removesOnlyOwnEntries() throws {
        try KernelNode.with { node throws in
            try node.namespace.exec(["ip", "-batch", "-"], input: """
                route add 192.0.2.0/24 via 198.18.0.9 proto static
                nexthop add id 7 via 198.18.0.9 dev under0 proto 126
                """)
            // Not in the batch: `ip -batch` carries a nexthop's proto over to the next line.
            try node.namespace.exec(["ip", "nexthop", "add", "id", "\(0x7e00_0005)", "via", "198.18.0.9", "dev", "under0",
                                     "proto", "static"])
            try node.reconciler(.hybrid).reconcile(peers: [Fixture.node(2), Fixture.node(3, publicIP: "198.19.0.3")])
            #expect(try node.trellisNexthops().count == 2)  // node-3's, and the foreign id 7 with proto 126
            let removed = try DatapathRemoval.remove(handle: node.handle)
            #expect(removed.count == 4)  // two routes, node-3's nexthop and the device, in that order
            #expect(removed.count == 4 && removed[2].hasPrefix("nexthop id") && removed[3] == "link trellis.vxlan")
            #expect(try node.trellisRoutes().isEmpty)
            #expect(try node.handle.findLink(named: "trellis.vxlan") == nil)
            let routes = try node.namespace.json(["ip", "-j", "route", "show"]).compactMap { $0["dst"] as? String }
            #expect(routes.contains("192.0.2.0/24"))
            let nexthops = try node.namespace.json(["ip", "-j", "nexthop", "show"]).compactMap { $0["id"] as? Int }
            #expect(Set(nexthops) == [7, 0x7e00_0005])
            #expect(try DatapathRemoval.remove(handle: node.handle).isEmpty)
        }
    }
}
