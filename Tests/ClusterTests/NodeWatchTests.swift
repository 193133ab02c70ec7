import NetworkModel
@testable import Cluster
import IPAM
import Logging
import Testing
import TestSupport

extension EtcdIntegration {
@Suite("EtcdNodeSource.watchNodes against a real etcd")
struct NodeWatchTests {
    @Test("the watch yields the complete set on add, change and delete of node records")
    func addChangeDelete() async throws {
        try await withEtcdServer { server in
            let source = try makeSource(server)
            let client = source.client
            try await client.put(EtcdPut(key: EtcdKeys.node("a"), value: recordJSON(publicIP: "198.18.0.1", podCIDR: "10.244.1.0/24")))
            let recorder = await EventRecorder.recording(source.watchNodes())
            try await recorder.nextNodes(named: ["a"])

            _ = try await source.claim(registration(2))
            let both = try await recorder.nextNodes(named: ["a", "n2"])
            #expect(both.first { $0.name == "n2" } == ClusterNode(
                name: "n2", podCIDRs: [IPPrefix("10.244.0.0/24")!], publicIP: IPAddress("198.18.0.12")!,
                vtepMAC: registration(2).vtepMAC, backend: .vxlan))

            try await client.put(EtcdPut(key: EtcdKeys.node("a"), value: recordJSON(publicIP: "198.18.0.77", podCIDR: "10.244.1.0/24")))
            let changed = try await recorder.nextSet { nodes in
                return nodes.first { $0.name == "a" }?.publicIP == IPAddress("198.18.0.77")
            }
        let nodes = changed
            #expect(nodes.map(\.name) == ["a", "n2"])

            try await client.delete(.key(EtcdKeys.node("a")))
            try await recorder.nextNodes(named: ["n2"])
            await recorder.stop()
        }
    }

    @Test("a list of several pages hands on each page but the last as it is read, and every node once")
    func listPages() async throws {
        try await withEtcdServer { server in
            let client = try EtcdClient(endpoints: [server.endpoint])
            for index in 1...5 {
                try await client.put(EtcdPut(key: EtcdKeys.node("n\(index)"),
                                             value: recordJSON(publicIP: "198.18.0.\(index)", podCIDR: "10.244.\(index).0/24")))
            }
            let collection = EtcdNodeCollection(client: client, pageSize: 2, logger: Logger(label: "test"))
            var pages: [[String]] = []
            let listing = try await collection.list { pages.append($0.map(\.key)) }
            #expect(pages == [["n1", "n2"], ["n3", "n4"]])
            #expect(listing.objects.map(\.key) == ["n1", "n2", "n3", "n4", "n5"])
            #expect(listing.objects.compactMap(\.value?.publicIP) == (1...5).map { IPAddress("198.18.0.\($0)")! })
        }
    }

    @Test("an unparsable record is skipped; the others stay in the set")
    func unparsableSkipped() async throws {
        try await withEtcdServer { server in
            let source = try makeSource(server)
            try await source.client.put(EtcdPut(key: EtcdKeys.node("bad"), value: Array("{not json".utf8)))
            try await source.client.put(EtcdPut(key: EtcdKeys.node("a"), value: recordJSON(publicIP: "198.18.0.1", podCIDR: "10.244.1.0/24")))
            let recorder = await EventRecorder.recording(source.watchNodes())
            try await recorder.nextNodes(named: ["a"])
            try await source.client.put(EtcdPut(key: EtcdKeys.node("worse"), value: Array("[]".utf8)))
            try await source.client.put(EtcdPut(key: EtcdKeys.node("b"), value: recordJSON(publicIP: "198.18.0.2", podCIDR: "10.244.2.0/24")))
            try await recorder.nextNodes(named: ["a", "b"])
            await recorder.stop()
        }
    }

    @Test("a node whose agent stops refreshing a short lease is withdrawn when the lease expires")
    func leaseExpiry() async throws {
        try await withEtcdServer { server in
            let agent = try makeSource(server, leaseTTL: .seconds(2))
            _ = try await agent.claim(registration(1))
            let watcher = try makeSource(server)
            _ = try await watcher.claim(registration(2))
            let recorder = await EventRecorder.recording(watcher.watchNodes())
            try await recorder.nextNodes(named: ["n1", "n2"])
            // Kept alive: still there after more than one TTL.
            try await Task.sleep(for: .seconds(3))
            #expect(try await agent.client.range(.key(EtcdKeys.node("n1"))).kvs.count == 1)
            agent.stopKeepingAlive()
            try await recorder.nextNodes(named: ["n2"], within: .seconds(10))
            #expect(try await agent.client.range(.key(EtcdKeys.subnet(IPPrefix("10.244.0.0/24")!))).kvs.isEmpty)
            await recorder.stop()
        }
    }

    @Test("while etcd is stopped the watch yields .unavailable, and after a restart the right set again")
    func outageAndRecovery() async throws {
        try await withEtcdServer { server in
            let source = try makeSource(server)
            _ = try await source.claim(registration(1))
            let recorder = await EventRecorder.recording(source.watchNodes())
            try await recorder.nextNodes(named: ["n1"])
            server.stop()
            try await recorder.nextUnavailable()
            try await recorder.nextUnavailable()
            try server.start()
            try await recorder.nextNodes(named: ["n1"])
            try await source.client.put(EtcdPut(key: EtcdKeys.node("late"), value: recordJSON(publicIP: "198.18.0.5", podCIDR: "10.244.9.0/24")))
            try await recorder.nextNodes(named: ["n1", "late"])
            await recorder.stop()
        }
    }

    @Test("changes compacted away while the watch was disconnected are recovered by listing again")
    func compactionWhileDisconnected() async throws {
        try await withEtcdServer { server in
            let gate = RetryGate()
            let source = try makeSource(server, retry: gate.policy)
            let client = source.client
            try await client.put(EtcdPut(key: EtcdKeys.node("old"), value: recordJSON(publicIP: "198.18.0.1", podCIDR: "10.244.1.0/24")))
            let recorder = await EventRecorder.recording(source.watchNodes())
            try await recorder.nextNodes(named: ["old"])

            server.stop()
            try await recorder.nextUnavailable()
            await gate.firstArrival()  // the watch is now held in its backoff
            try server.start()
            try await client.put(EtcdPut(key: EtcdKeys.node("new"), value: recordJSON(publicIP: "198.18.0.2", podCIDR: "10.244.2.0/24")))
            try await client.delete(.key(EtcdKeys.node("old")))
            let revision = try await client.range(.prefix("/")).revision
            try server.etcdctl(["compact", "\(revision)"])
            await gate.open()

            // Resuming from the old revision is impossible now; only a new list can say this.
            try await recorder.nextNodes(named: ["new"])
            await recorder.stop()
        }
    }

    @Test("with the first endpoint dead the watch fails over and still yields the set")
    func watchFailover() async throws {
        try await withEtcdServer { server in
            let source = try makeSource(server, endpoints: [try deadEndpoint(), server.endpoint])
            _ = try await source.claim(registration(1))
            let recorder = await EventRecorder.recording(source.watchNodes())
            try await recorder.nextNodes(named: ["n1"])
            _ = try await source.claim(registration(2))
            try await recorder.nextNodes(named: ["n1", "n2"])
            await recorder.stop()
        }
    }

    @Test("a watch that cannot reach etcd at all yields .unavailable and never a set")
    func neverReachable() async throws {
        let source = try EtcdNodeSource(endpoints: [try deadEndpoint()], clusterCIDRs: [IPPrefix("10.244.0.0/16")!],
                                        retry: fastRetry, logger: testLogger)
        let recorder = await EventRecorder.recording(source.watchNodes())
        try await recorder.nextUnavailable()
        try await recorder.nextUnavailable()
        #expect(await recorder.events.allSatisfy { if case .unavailable = $0 { true } else { false } })
        await recorder.stop()
    }
}
}
