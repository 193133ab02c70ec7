import NetworkModel
import Netlink
import Overlay
import Testing

/// 5,000 peers in one namespace: prints how long convergence, one event, a restart and a
/// resync take (timings are printed, not asserted: the machine is shared).
@Suite("Reconciler at 5,000 peers (kernel)", .serialized)
struct ScaleKernelTests {
    static let count = 5000

    /// `node-i` with slice 10.(i / 256).(i % 256).0/24 and underlay address inside 198.18.0.0/16.
    static func peer(_ i: Int, publicIP: String? = nil) -> ClusterNode {
        let name = "node-\(i)"
        return ClusterNode(name: name, podCIDRs: [Fixture.prefix("10.\(i / 256).\(i % 256).0/24")],
                           publicIP: Fixture.address(publicIP ?? "198.18.\(i / 250).\(i % 250 + 2)"),
                           vtepMAC: VTEPMAC.forNode(name).description)
    }

    static let peers = (2...count + 1).map { peer($0) }  // node-1 is the local node

    private func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
    }

    @Test("direct mode: 5,000 peers converge and read back as 5,000 routes with proto 126")
    func direct() throws {
        try KernelNode.with(underlay: "198.18.0.1/16") { node throws in
            let reconciler = node.reconciler(.direct)
            let summary = try reconciler.reconcile(peers: Self.peers)
            #expect(summary.isConverged && summary.applied == Self.count)
            #expect(try node.namespace.json(["ip", "-j", "route", "show", "proto", "126"]).count == Self.count)
            var changed = Self.peers
            changed[17] = Self.peer(19, publicIP: "198.18.99.99")  // peers[17] is node-19
            let event = try reconciler.reconcile(peers: changed)
            #expect(event.applied == 1)
            print("direct, \(Self.count) peers: converge \(milliseconds(summary.duration)) ms, one event \(milliseconds(event.duration)) ms")
        }
    }

    @Test("vxlan mode: 20,000 entries (with nexthops) converge; one event, a restart and a resync write nothing more")
    func vxlan() throws {
        try KernelNode.with(underlay: "198.18.0.1/16") { node throws in
            let reconciler = node.reconciler(.vxlan)
            let summary = try reconciler.reconcile(peers: Self.peers)
            #expect(summary.isConverged && summary.applied == 4 * Self.count)
            var changed = Self.peers
            changed[17] = Self.peer(19, publicIP: "198.18.99.99")  // peers[17] is node-19
            let event = try reconciler.reconcile(peers: changed)
            #expect(event.applied == 1 && !event.observedKernel)
            let writer = CountingWriter(node.handle)
            let restarted = node.reconciler(.vxlan, writer: writer)
            let restart = try restarted.reconcile(peers: changed)
            let resync = try restarted.resync()
            #expect(restart.applied == 0 && resync.applied == 0 && writer.writes == 0)
            #expect(try node.vxlanFDB().count == Self.count)
            // Routes, then nexthops, before the namespace goes: the kernel's teardown of many
            // nexthops with routes still referring to them is slow.
            _ = try DatapathRemoval.remove(handle: node.handle)
            print("vxlan, \(Self.count) peers (\(4 * Self.count) entries): converge \(milliseconds(summary.duration)) ms, "
                  + "one event \(milliseconds(event.duration)) ms, restart \(milliseconds(restart.duration)) ms, "
                  + "resync \(milliseconds(resync.duration)) ms")
        }
    }
}
