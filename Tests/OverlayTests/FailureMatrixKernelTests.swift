import NetworkModel
import Netlink
import Overlay
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Fails the first operation of one kind once armed (the rest go to the kernel), as a kernel
/// refusal would, and counts how often it did.
final class FaultInjector: DatapathWriter {
    let handle: NetlinkHandle
    let kind: String
    private let state = Mutex((armed: false, hits: 0))

    init(_ handle: NetlinkHandle, failing kind: String) {
        self.handle = handle
        self.kind = kind
    }

    func arm() { state.withLock { $0.armed = true } }
    var hits: Int { state.withLock { $0.hits } }

    func write(_ operations: [DatapathOperation]) throws -> [DatapathFailure] {
        let index = state.withLock { state -> Int? in
            guard state.armed, let index = operations.firstIndex(where: { $0.kind == kind }) else { return nil }
            state.armed = false
            state.hits += 1
            return index
        }
        guard let index else { return try handle.write(operations) }
        var rest = operations
        let refused = rest.remove(at: index)
        return try handle.write(rest) + [DatapathFailure(operation: refused, error: .request(operation: "injected", errno: EIO))]
    }

    func supportsNexthops() throws -> Bool { try handle.supportsNexthops() }
}

/// Throws once, as a socket failing mid-batch would, after sending the first half.
final class BrokenTransport: DatapathWriter {
    struct Broken: Error {}
    let handle: NetlinkHandle
    private let broken = Mutex(true)

    init(_ handle: NetlinkHandle) { self.handle = handle }

    func write(_ operations: [DatapathOperation]) throws -> [DatapathFailure] {
        guard broken.withLock({ first in defer { first = false }; return first }) else { return try handle.write(operations) }
        _ = try handle.write(Array(operations.prefix(operations.count / 2)))
        throw Broken()
    }

    func supportsNexthops() throws -> Bool { try handle.supportsNexthops() }
}

@Suite("Reconciler failure matrix (kernel)", .serialized)
struct FailureMatrixKernelTests {
    /// Hybrid mode, so one change of peers plans every kind of write: node-2 gets a new MAC,
    /// node-3 goes, node-4 leaves the underlay subnet (its route replaced), node-5 arrives.
    static let before = [Fixture.node(2, publicIP: "198.19.0.2"), Fixture.node(3, publicIP: "198.19.0.3"), Fixture.node(4)]
    static let after = [Fixture.node(2, publicIP: "198.19.0.2", vtepMAC: "02:00:00:00:00:22"),
                        Fixture.node(4, publicIP: "198.19.0.4"), Fixture.node(5)]

    @Test("one refused write: reported, retried alone on the next reconcile, and the kernel converges",
          arguments: ["addRoute", "replaceRoute", "deleteRoute", "replaceNeighbor", "deleteNeighbor", "replaceFDB", "deleteFDB",
                     "deleteNexthop"])
    func singleFault(kind: String) throws {
        try KernelNode.with { node throws in
            let injector = FaultInjector(node.handle, failing: kind)
            let reconciler = node.reconciler(.hybrid, writer: injector)
            #expect(try reconciler.reconcile(peers: Self.before).isConverged)
            injector.arm()
            let faulted = try reconciler.reconcile(peers: Self.after)
            #expect(injector.hits == 1)
            #expect(faulted.failures.map(\.operation.kind) == [kind])
            let retried = try reconciler.reconcile(peers: Self.after)
            #expect(retried.isConverged && retried.applied == 1, "\(retried.failures)")
            let writer = CountingWriter(node.handle)
            #expect(try node.reconciler(.hybrid, writer: writer).reconcile(peers: Self.after).isConverged)
            #expect(writer.writes == 0, "a fresh reconciler found drift after convergence")
        }
    }

    @Test("the kernel refuses onlink routes on a device taken down by hand; resync brings it up and converges")
    func deviceDown() throws {
        try KernelNode.with { node throws in
            let reconciler = node.reconciler(.vxlan)
            try reconciler.reconcile(peers: [Fixture.node(2)])
            try node.namespace.exec(["ip", "link", "set", "trellis.vxlan", "down"])
            let refused = try reconciler.reconcile(peers: [Fixture.node(2), Fixture.node(3)])
            #expect(refused.failures.map(\.operation.kind) == ["addNexthop", "addRoute"])  // the route's nexthop is refused too
            #expect(refused.failures.first?.error.errno == ENETDOWN, "\(refused.failures)")
            let repaired = try reconciler.resync()
            #expect(repaired.isConverged)
            let peers = [Fixture.node(2), Fixture.node(3)]
            #expect(try node.trellisRoutes() == Set(peers.map { vxlanLines($0).route }))
            #expect(try node.vxlanNeighbors() == Set(peers.map { vxlanLines($0).neighbor }))
        }
    }

    @Test("a transport failure mid-batch throws; the next reconcile reads the kernel and converges")
    func transportFailure() throws {
        try KernelNode.with { node throws in
            let reconciler = node.reconciler(.vxlan, writer: BrokenTransport(node.handle))
            let peers = (2...6).map { Fixture.node($0) }
            #expect(throws: BrokenTransport.Broken.self) { try reconciler.reconcile(peers: peers) }
            let summary = try reconciler.reconcile(peers: peers)
            #expect(summary.observedKernel && summary.isConverged)
            #expect(try node.trellisRoutes() == Set(peers.map { vxlanLines($0).route }))
        }
    }

    @Test("a vxlan device deleted by hand is recreated by resync with every entry")
    func deviceDeleted() throws {
        try KernelNode.with { node throws in
            let reconciler = node.reconciler(.vxlan)
            let peers = [Fixture.node(2), Fixture.node(3)]
            try reconciler.reconcile(peers: peers)
            try node.namespace.exec(["ip", "link", "del", "trellis.vxlan"])
            #expect(try reconciler.resync().isConverged)
            #expect(try node.vxlanFDB() == Set(peers.map { vxlanLines($0).fdb }))
            #expect(try node.trellisRoutes() == Set(peers.map { vxlanLines($0).route }))
        }
    }
}
