import Netlink
import Overlay
import Testing

@Suite("DatapathRemoval (kernel)", .serialized)
struct DatapathRemovalKernelTests {
    @Test("uninstall removes Trellis's routes and the vxlan device, keeps foreign routes, and is idempotent")
    func removesOnlyOwnEntries() throws {
        try KernelNode.with { node throws in
            try node.namespace.exec(["ip", "route", "add", "192.0.2.0/24", "via", "198.18.0.9", "proto", "static"])
            try node.reconciler(.hybrid).reconcile(peers: [Fixture.node(2), Fixture.node(3, publicIP: "198.19.0.3")])
            let removed = try DatapathRemoval.remove(handle: node.handle)
            #expect(removed.count == 3)  // two routes and the device
            #expect(try node.trellisRoutes().isEmpty)
            #expect(try node.handle.findLink(named: "trellis.vxlan") == nil)
            let routes = try node.namespace.json(["ip", "-j", "route", "show"]).compactMap { $0["dst"] as? String }
            #expect(routes.contains("192.0.2.0/24"))
            #expect(try DatapathRemoval.remove(handle: node.handle).isEmpty)
        }
    }
}
