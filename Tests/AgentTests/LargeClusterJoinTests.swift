import Agent
import AgentAPI
import Cluster
import Foundation
import IPAM
import Logging
import Netlink
import NetworkModel
import Overlay
import Prometheus
import Synchronization
import Testing
import TestSupport

/// The agent as it runs, over a real etcd and a real kernel, joining a cluster larger than one
/// page of the node list: the pages reach the kernel before the list ends, the node routes to
/// every peer, and it is ready only then.
@Suite(.serialized) struct LargeClusterJoinTests {
    /// The kernel datapath, counting the list pages it is given.
    final class PageCounting: NodeDatapath {
        let kernel: KernelDatapath
        private let counted = Atomic<Int>(0)

        init(_ kernel: KernelDatapath) { self.kernel = kernel }

        var pages: Int { counted.load(ordering: .relaxed) }
        func prepare() throws -> LocalState { try kernel.prepare() }
        func adopt(_ local: ClusterNode) throws -> LocalState { try kernel.adopt(local) }
        func apply(_ changes: [PeerChange]) throws -> PassReport { try kernel.apply(changes) }
        func resync() throws -> PassReport { try kernel.resync() }
        func diagnose() -> [Finding] { kernel.diagnose() }

        func apply(listPage changes: [PeerChange]) throws -> PassReport {
            counted.add(1, ordering: .relaxed)
            return try kernel.apply(listPage: changes)
        }
    }

    static let peers = 1_200

    /// Peer `index`'s record as its agent writes it (node key and slice lock).
    static func record(_ index: Int) -> (slice: IPPrefix, json: [UInt8]) {
        let slice = IPPrefix("10.\(128 + index / 256).\(index % 256).0/24")!
        let json = #"{"backend":"vxlan","podCIDR":"\#(slice)","publicIP":"198.18.\#(32 + index / 250).\#(index % 250 + 1)","#
            + #""vtepMAC":"0a:58:00:00:\#(String(format: "%02x:%02x", index / 256, index % 256))"}"#
        return (slice, Array(json.utf8))
    }

    @Test("a node joining 1,200 peers writes the list's first page before its end, then routes to every peer and is ready")
    func joinLargerThanAPage() async throws {
        try await withEtcdServer { server in
            let client = try EtcdClient(endpoints: [server.endpoint])
            for start in stride(from: 0, to: Self.peers, by: 50) {
                let puts = (start..<start + 50).flatMap { index in
                    let (slice, json) = Self.record(index)
                    return [EtcdPut(key: EtcdKeys.node("peer-\(index)"), value: json),
                            EtcdPut(key: EtcdKeys.subnet(slice), value: json)]
                }
                _ = try await client.transaction(if: [], then: puts)
            }
            try await withTestNamespace { namespace in
                try KernelDatapathTests.Node.addUnderlay(in: namespace)
                let runDir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-join-\(UUID().uuidString)").path
                defer { try? FileManager.default.removeItem(atPath: runDir) }
                let config = AgentConfig(nodeName: "joiner", datastore: .etcd(endpoints: [server.endpoint]),
                                         clusterCIDRs: [IPPrefix("10.128.0.0/9")!], mode: .vxlan, underlayInterface: "ua",
                                         runDir: runDir)
                let logger = Logger(label: "test")
                let datapath = PageCounting(try KernelDatapath(
                    config: config, handle: NetlinkHandle(namespacePath: namespace.path),
                    masquerade: Masquerade(clusterCIDRs: config.clusterCIDRs, namespacePath: namespace.path), logger: logger))
                let source = try EtcdNodeSource(endpoints: [server.endpoint], clusterCIDRs: config.clusterCIDRs, logger: logger)
                let status = AgentStatus(nodeName: "joiner", mode: .vxlan)
                let agent = NodeAgent(registration: datapath.kernel.registration, resyncInterval: .seconds(3600), source: source,
                                      datapath: datapath, status: status,
                                      metrics: AgentMetrics(registry: PrometheusCollectorRegistry()), logger: logger)
                let task = Task { try await agent.run() }
                defer { task.cancel() }
                let ready = await withTaskGroup(of: Bool.self) { group in
                    group.addTask { await status.wait { $0.isReady }; return !Task.isCancelled }
                    group.addTask { try? await Task.sleep(for: .seconds(60)); return false }
                    let first = await group.next() ?? false
                    group.cancelAll()
                    return first
                }
                if !ready { Issue.record("not ready within 60 s: \(await status.facts)") }
                try #require(ready)
                #expect(datapath.pages >= 1, "the first page was written before the list ended")
                let routes = try namespace.exec(["ip", "-4", "route", "show", "proto", "126"])
                    .split(separator: "\n").filter { $0.contains("dev trellis.vxlan") }
                #expect(routes.count == Self.peers)
                // The first free slice, after the peers' (found by probing past a thousand locks).
                #expect(try NodeInfo.load(runDir: runDir).podCIDRs == [IPPrefix("10.132.176.0/24")!])
                task.cancel()
                _ = await task.result
            }
        }
    }
}
