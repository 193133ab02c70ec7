import Agent
import AgentAPI
import Cluster
import Logging
import NetworkModel
import Overlay
import Prometheus
import Testing

/// The agent's orchestration with a scripted datastore and datapath: readiness is derived from
/// facts over every sequence of registration, lists, outages and resyncs, and the datastore is
/// told the node is wired exactly once, only after a complete list was applied.
@Suite struct NodeAgentTests {
    /// An agent running against fakes until `stop()`.
    struct Harness {
        let source: FakeNodeSource
        let datapath: FakeDatapath
        let status: AgentStatus
        let task: Task<Void, any Error>

        init(source: FakeNodeSource = FakeNodeSource(), resync: Duration = .seconds(3600), prepareFailures: Int = 0,
             outcomes: [FakeDatapath.Outcome] = []) {
            let datapath = FakeDatapath()
            let status = AgentStatus(nodeName: "self", mode: .vxlan)
            self.source = source
            self.datapath = datapath
            self.status = status
            datapath.failPrepare(prepareFailures)
            outcomes.forEach { datapath.script($0) }
            let agent = NodeAgent(registration: NodeRegistration(name: "self", publicIP: IPAddress("198.18.0.1")!,
                                                                 vtepMAC: "0a:58:00:00:00:01", backend: .vxlan),
                                  resyncInterval: resync, source: source, datapath: datapath, status: status,
                                  metrics: AgentMetrics(registry: PrometheusCollectorRegistry()),
                                  retry: RetryPolicy(initialDelay: .milliseconds(5), maximumDelay: .milliseconds(20)),
                                  logger: Logger(label: "test"))
            task = Task { try await agent.run() }
        }

        /// Waits until the facts satisfy `predicate`; fails the test after `timeout`.
        func until(_ what: String, within timeout: Duration = .seconds(60),
                   _ predicate: @escaping @Sendable (AgentFacts) -> Bool) async throws {
            let reached = await withTaskGroup(of: Bool.self) { group in
                group.addTask { await status.wait(until: predicate); return !Task.isCancelled }
                group.addTask { try? await Task.sleep(for: timeout); return false }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            if !reached { Issue.record("timed out waiting for \(what); facts: \(await status.facts)") }
            try #require(reached)
        }

        /// Waits for `count` more resyncs of the datapath, calling `each` after every one.
        func resyncs(_ count: Int, each: () async -> Void = {}) async {
            var seen = 0
            for await call in datapath.callEvents where call == .resync {
                await each()
                seen += 1
                if seen == count { return }
            }
        }

        func stop() async {
            task.cancel()
            _ = await task.result
        }
    }

    @Test("prepare, register, first list: ready and announced once; later events and resyncs announce nothing more")
    func happyPath() async throws {
        let agent = Harness(resync: .milliseconds(10))
        try await agent.until("registered") { $0.registered }
        #expect(await agent.status.facts.phase == .syncing)
        #expect(await !agent.status.facts.isReady)
        agent.source.send(listed([peer(1), peer(2)]))
        try await agent.until("ready") { $0.isReady }
        agent.source.send(.changed([ObjectChange(key: "peer-3", value: peer(3))]))
        for await call in agent.datapath.callEvents where call == .apply([PeerChange(name: "peer-3", node: peer(3))]) { break }
        await agent.resyncs(3)
        #expect(agent.source.announcements == 1)
        #expect(await agent.status.snapshot().peers.map(\.name) == ["peer-1", "peer-2", "peer-3"])
        #expect(await agent.status.snapshot().routeShape == "nexthop")  // what the reconciler said, for cnictl status
        #expect(Array(agent.datapath.calls.prefix(2)) == [.prepare, .adopt([IPPrefix("10.244.1.0/24")!])])
        await agent.stop()
    }

    @Test("resyncs before the first list (a slow datastore) never make the node ready nor announce it")
    func resyncBeforeFirstList() async throws {
        let agent = Harness(resync: .milliseconds(10))
        try await agent.until("registered") { $0.registered }
        await agent.resyncs(5) {
            let facts = await agent.status.facts
            #expect(!facts.isReady && !facts.firstListApplied && facts.phase == .syncing)
            #expect(agent.source.announcements == 0)
        }
        agent.source.send(listed([peer(1)]))
        try await agent.until("ready") { $0.isReady }
        #expect(agent.source.announcements == 1)
        await agent.stop()
    }

    @Test("an outage before the first list: datastoreUnavailable, not ready, nothing announced; the list then makes it ready")
    func outageBeforeFirstList() async throws {
        let agent = Harness(resync: .milliseconds(10))
        try await agent.until("registered") { $0.registered }
        agent.source.send(.unavailable(reason: "connection refused"))
        try await agent.until("unavailable") { !$0.datastoreReachable }
        await agent.resyncs(3) {
            #expect(await agent.status.facts.phase == .datastoreUnavailable)
            #expect(agent.source.announcements == 0)
        }
        agent.source.send(listed([peer(1)]))
        try await agent.until("ready") { $0.isReady }
        #expect(agent.source.announcements == 1)
        await agent.stop()
    }

    @Test("an outage after the first sync: not ready through every resync until the datastore is back; announced once, never withdrawn")
    func outageAfterFirstSync() async throws {
        let agent = Harness(resync: .milliseconds(10))
        agent.source.send(listed([peer(1)]))
        try await agent.until("ready") { $0.isReady }
        agent.source.send(.unavailable(reason: "connection refused"))
        try await agent.until("not ready") { !$0.isReady }
        await agent.resyncs(5) {
            let facts = await agent.status.facts
            #expect(!facts.isReady && facts.phase == .datastoreUnavailable)
        }
        #expect(!agent.datapath.calls.contains(.apply([PeerChange(name: "peer-1", node: nil)])))
        agent.source.send(.changed([]))
        try await agent.until("ready again") { $0.isReady }
        #expect(agent.source.announcements == 1)
        await agent.stop()
    }

    @Test("nothing is published before the node's own datapath is in place: a failing prepare holds registration back")
    func prepareBeforeRegister() async throws {
        let source = FakeNodeSource(registerAtOnce: false)
        let agent = Harness(source: source, prepareFailures: 3)
        try await agent.until("prepared") { $0.localDatapathReady }
        #expect(agent.datapath.calls.filter { $0 == .prepare }.count == 4)
        #expect(await agent.status.facts.phase == .registering)
        #expect(source.registrations == 0)
        source.allowRegistration()
        try await agent.until("registered") { $0.registered }
        #expect(source.registrations == 1)
        await agent.stop()
    }

    @Test("refused writes: converging and not ready, announced only once a pass converges")
    func refusedWrites() async throws {
        let agent = Harness(outcomes: [.refused])
        agent.source.send(listed([peer(1)]))
        try await agent.until("list applied") { $0.firstListApplied }
        let facts = await agent.status.facts
        #expect(facts.phase == .converging && !facts.isReady)
        #expect(agent.source.announcements == 0)
        agent.source.send(.changed([ObjectChange(key: "peer-2", value: peer(2))]))
        try await agent.until("ready after a converged pass") { $0.isReady }
        #expect(agent.source.announcements == 1)
        await agent.stop()
    }

    @Test("a pass that fails outright leaves the list unapplied until a later pass succeeds")
    func failedFirstPass() async throws {
        let agent = Harness(outcomes: [.fails])
        agent.source.send(listed([peer(1)]))
        for await call in agent.datapath.callEvents where call == .apply([PeerChange(name: "peer-1", node: peer(1))]) { break }
        await agent.status.wait { _ in true }
        #expect(await !agent.status.facts.firstListApplied)
        #expect(agent.source.announcements == 0)
        agent.source.send(.changed([]))
        try await agent.until("ready") { $0.isReady }
        #expect(agent.source.announcements == 1)
        await agent.stop()
    }

    @Test("a refused announcement is retried after the next pass and succeeds exactly once")
    func announceRetried() async throws {
        let source = FakeNodeSource()
        source.refuseAnnouncements(2)
        let agent = Harness(source: source, resync: .milliseconds(10))
        source.send(listed([peer(1)]))
        try await agent.until("ready") { $0.isReady }
        await agent.resyncs(4)
        #expect(source.announcements == 1)
        #expect(await agent.status.announced)
        await agent.stop()
    }

    @Test("a list read while the node registers waits for registration, and its stale record of this node moves nothing")
    func listBeforeRegistration() async throws {
        let source = FakeNodeSource(registerAtOnce: false)
        let agent = Harness(source: source)
        try await agent.until("prepared") { $0.localDatapathReady }
        // The previous run's record, with a slice this registration did not get back.
        let stale = ClusterNode(name: "self", podCIDRs: [IPPrefix("10.244.9.0/24")!], publicIP: IPAddress("198.18.0.1")!)
        source.send(listed([stale, peer(1)]))
        try await Task.sleep(for: .milliseconds(100))
        #expect(!agent.datapath.calls.contains { if case .apply = $0 { true } else { false } })
        source.allowRegistration()
        try await agent.until("ready") { $0.isReady }
        #expect(agent.datapath.calls == [.prepare, .adopt([IPPrefix("10.244.1.0/24")!]), .apply([PeerChange(name: "peer-1", node: peer(1))])])
        #expect(await agent.status.snapshot().podCIDRs == [IPPrefix("10.244.1.0/24")!])
        await agent.stop()
    }

    @Test("the pages of a first list are written as they come, but nothing is ready or announced before the list ends")
    func listPages() async throws {
        let source = FakeNodeSource(registerAtOnce: false)
        let agent = Harness(source: source)
        try await agent.until("prepared") { $0.localDatapathReady }
        // Pages read while the node registers wait for it; this node's own record is no peer.
        let own = ClusterNode(name: "self", podCIDRs: [IPPrefix("10.244.1.0/24")!], publicIP: IPAddress("198.18.0.1")!)
        source.send(.listing([ObjectChange(key: "peer-1", value: peer(1))]))
        source.send(.listing([ObjectChange(key: "self", value: own), ObjectChange(key: "peer-2", value: peer(2))]))
        try await Task.sleep(for: .milliseconds(100))
        #expect(agent.datapath.calls == [.prepare])
        source.allowRegistration()
        for await call in agent.datapath.callEvents where call == .applyListPage([PeerChange(name: "peer-2", node: peer(2))]) { break }
        try await Task.sleep(for: .milliseconds(100))
        let facts = await agent.status.facts
        #expect(!facts.isReady && !facts.firstListApplied)
        #expect(source.announcements == 0)
        #expect(await agent.status.snapshot().peers.map(\.name) == ["peer-1", "peer-2"])
        source.send(.listed([ObjectChange(key: "peer-3", value: peer(3))]))
        try await agent.until("ready") { $0.isReady }
        #expect(agent.datapath.calls == [.prepare, .adopt([IPPrefix("10.244.1.0/24")!]),
                                         .applyListPage([PeerChange(name: "peer-1", node: peer(1))]),
                                         .applyListPage([PeerChange(name: "peer-2", node: peer(2))]),
                                         .apply([PeerChange(name: "peer-3", node: peer(3))])])
        #expect(source.announcements == 1)
        #expect(await agent.status.snapshot().peers.map(\.name) == ["peer-1", "peer-2", "peer-3"])
        await agent.stop()
    }

    @Test("this node's record with a new slice (an etcd lease re-acquired) moves the datapath to it; its own record is no peer")
    func sliceChange() async throws {
        let agent = Harness()
        let own = ClusterNode(name: "self", podCIDRs: [IPPrefix("10.244.1.0/24")!], publicIP: IPAddress("198.18.0.1")!)
        agent.source.send(listed([own, peer(1)]))
        try await agent.until("ready") { $0.isReady }
        var moved = own
        moved.podCIDRs = [IPPrefix("10.244.7.0/24")!]
        agent.source.send(.changed([ObjectChange(key: "self", value: moved)]))
        for await call in agent.datapath.callEvents where call == .apply([]) { break }
        #expect(agent.datapath.calls.contains(.adopt([IPPrefix("10.244.7.0/24")!])))
        #expect(await agent.status.snapshot().podCIDRs == [IPPrefix("10.244.7.0/24")!])
        #expect(await agent.status.snapshot().peers.map(\.name) == ["peer-1"])
        // Its record deleted (the lease expired): no move, no peer.
        agent.source.send(.changed([ObjectChange(key: "self", value: nil)]))
        for await call in agent.datapath.callEvents where call == .apply([]) { break }
        #expect(agent.datapath.calls.filter { if case .adopt = $0 { true } else { false } }.count == 2)
        await agent.stop()
    }
}

@Suite struct AgentStatusTests {
    @Test("the same error in a row is counted in one entry; another error gets its own; the list is capped")
    func repeatedErrors() async {
        let status = AgentStatus(nodeName: "n", mode: .vxlan)
        for _ in 0..<3 { await status.record(error: "datastore unavailable: refused") }
        await status.record(error: "route add: File exists")
        var errors = await status.snapshot().errors
        #expect(errors.count == 2)
        #expect(errors[0].hasSuffix("datastore unavailable: refused (3 times)"))
        #expect(errors[1].hasSuffix("route add: File exists"))
        for index in 0..<(AgentStatus.errorLimit + 5) { await status.record(error: "error \(index)") }
        errors = await status.snapshot().errors
        #expect(errors.count == AgentStatus.errorLimit)
        #expect(errors.last?.hasSuffix("error \(AgentStatus.errorLimit + 4)") == true)
    }
}
