import NetworkModel
@testable import Cluster
import IPAM
import Testing

/// A `KubernetesNodeSource` on `server` with the test defaults: fast retries, short polls.
func makeKubeSource(_ server: KubeTestServer, credential: KubeCredential = .token(agentToken),
                    requestTimeout: Duration = .seconds(5), pageSize: Int = 500, watchTimeout: ClosedRange<Int> = 300...600,
                    tokenRefreshInterval: Duration = .seconds(60)) throws -> KubernetesNodeSource {
    let client = try KubeClient(config: server.config(credential), requestTimeout: requestTimeout,
                                tokenRefreshInterval: tokenRefreshInterval)
    return KubernetesNodeSource(client: client, retry: fastRetry, podCIDRPollInterval: .milliseconds(100),
                                pageSize: pageSize, watchTimeout: watchTimeout, logger: testLogger)
}

extension KubeIntegration {
@Suite("KubernetesNodeSource.watchNodes against the test API server")
struct KubeWatchTests {
    @Test("initial sync: the first event is the complete set; a peer without podCIDRs is left out")
    func initialSync() async throws {
        let server = try KubeTestServer(nodes: [
            try kubeNode("a", podCIDRs: ["10.244.1.0/24"], internalIP: "198.18.0.1"),
            try kubeNode("b", podCIDRs: ["10.244.2.0/24"], annotations: ["trellis.dev/public-ip": "198.18.0.2",
                                                                         "trellis.dev/vtep-mac": "0a:58:00:00:00:02",
                                                                         "trellis.dev/backend": "vxlan"]),
            try kubeNode("c"),
        ])
        defer { server.stop() }
        let recorder = await EventRecorder.recording(try makeKubeSource(server).watchNodes())
        defer { Task { await recorder.stop() } }
        let first = try await recorder.next { _ in true }
        guard case .listed = first else { Issue.record("first event \(describe(first))"); return }
        let nodes = await recorder.lastMatchedNodes
        #expect(nodes == [
            ClusterNode(name: "a", podCIDRs: [IPPrefix("10.244.1.0/24")!], publicIP: IPAddress("198.18.0.1")!),
            ClusterNode(name: "b", podCIDRs: [IPPrefix("10.244.2.0/24")!], publicIP: IPAddress("198.18.0.2")!,
                        vtepMAC: "0a:58:00:00:00:02", backend: .vxlan),
        ])
        // The watch starts from the list's resourceVersion and asks for bookmarks.
        let served = try await server.awaitRequests("a watch") { $0.contains { $0.isWatch } }
        let list = try #require(served.first { $0.isList })
        let watch = try #require(served.first { $0.isWatch })
        #expect(list.query["limit"] == "500")
        #expect(list.query["resourceVersion"] == "0", "lists are served from the watch cache")
        #expect(watch.query["allowWatchBookmarks"] == "true")
        #expect(watch.query["resourceVersion"] == "103")
    }

    @Test("a node added, changed and deleted mid-watch yields the complete set each time; a slice arriving later adds the peer")
    func addChangeDelete() async throws {
        let server = try KubeTestServer(nodes: [try kubeNode("a", podCIDRs: ["10.244.1.0/24"])])
        defer { server.stop() }
        let recorder = await EventRecorder.recording(try makeKubeSource(server).watchNodes())
        defer { Task { await recorder.stop() } }
        try await recorder.nextNodes(named: ["a"])
        try await server.awaitOpenWatches(1)

        try await server.put(kubeNode("b"))  // no slice yet: left out
        try await server.put(kubeNode("b", podCIDRs: ["10.244.2.0/24"], internalIP: "198.18.0.2"))
        try await recorder.nextNodes(named: ["a", "b"])

        try await server.put(kubeNode("b", podCIDRs: ["10.244.2.0/24"], internalIP: "198.18.0.2",
                                      annotations: ["trellis.dev/public-ip": "198.18.0.99", "trellis.dev/vtep-mac": "0a:58:00:00:00:99"]))
        let changed = try await recorder.nextSet { nodes in
            return nodes.first { $0.name == "b" }?.publicIP == IPAddress("198.18.0.99")
        }
        let nodes = changed
        #expect(nodes.first { $0.name == "b" }?.vtepMAC == "0a:58:00:00:00:99")

        try await server.delete("a")
        try await recorder.nextNodes(named: ["b"])
    }

    @Test("410 Gone mid-watch (an ERROR event with a Status): the source lists again and misses nothing")
    func goneRelists() async throws {
        let server = try KubeTestServer(nodes: [try kubeNode("a", podCIDRs: ["10.244.1.0/24"])])
        defer { server.stop() }
        let recorder = await EventRecorder.recording(try makeKubeSource(server).watchNodes())
        defer { Task { await recorder.stop() } }
        try await recorder.nextNodes(named: ["a"])
        try await server.awaitOpenWatches(1)

        // b is added and the history compacted at once: open watches get 410 and never see b.
        try await server.control("expire-watches", ["node": kubeNode("b", podCIDRs: ["10.244.2.0/24"])])
        try await recorder.nextNodes(named: ["a", "b"])
        let served = try await server.awaitRequests("a second watch") { $0.filter { $0.isWatch }.count >= 2 }
        #expect(served.filter { $0.isList }.count == 2)
        // The next watch starts from the second list's resourceVersion, past the compaction.
        let watches = served.filter { $0.isWatch }
        #expect(watches.count >= 2 && watches[1].query["resourceVersion"] == "102")
    }

    @Test("a connection dropped in the middle of an event: unavailable, then the watch resumes from the last resourceVersion and the event arrives")
    func droppedMidEvent() async throws {
        let server = try KubeTestServer(nodes: [try kubeNode("a", podCIDRs: ["10.244.1.0/24"])])
        defer { server.stop() }
        let recorder = await EventRecorder.recording(try makeKubeSource(server).watchNodes())
        defer { Task { await recorder.stop() } }
        try await recorder.nextNodes(named: ["a"])
        try await server.awaitOpenWatches(1)

        try await server.control("drop", ["mode": "mid-event"])
        try await server.put(kubeNode("b", podCIDRs: ["10.244.2.0/24"]))
        try await recorder.nextUnavailable()
        try await recorder.nextNodes(named: ["a", "b"])
        let served = try await server.requests()
        #expect(served.filter { $0.isList }.count == 1, "resumed, not listed again")
        let watches = served.filter { $0.isWatch }
        #expect(watches.count >= 2 && watches[1].query["resourceVersion"] == watches[0].query["resourceVersion"])
    }

    @Test("a watch the server ends at its timeoutSeconds is resumed from the same resourceVersion: no outage, no list")
    func serverTimeoutResumes() async throws {
        let server = try KubeTestServer(nodes: [try kubeNode("a", podCIDRs: ["10.244.1.0/24"])])
        defer { server.stop() }
        let recorder = await EventRecorder.recording(try makeKubeSource(server, watchTimeout: 1...1).watchNodes())
        defer { Task { await recorder.stop() } }
        try await recorder.nextNodes(named: ["a"])
        let served = try await server.awaitRequests("a third watch") { $0.filter { $0.isWatch }.count >= 3 }
        #expect(served.filter { $0.isList }.count == 1)
        #expect(served.filter { $0.isWatch }.allSatisfy { $0.query["resourceVersion"] == "101" && $0.query["timeoutSeconds"] == "1" })
        try await server.put(kubeNode("b", podCIDRs: ["10.244.2.0/24"]))
        try await recorder.nextNodes(named: ["a", "b"])
        let events = await recorder.events
        #expect(!events.contains { if case .unavailable = $0 { true } else { false } })
    }

    @Test("bookmarks move the resume point: after a drop the watch resumes from the bookmark's resourceVersion")
    func bookmarkResume() async throws {
        let server = try KubeTestServer(nodes: [try kubeNode("a", podCIDRs: ["10.244.1.0/24"])])
        defer { server.stop() }
        let recorder = await EventRecorder.recording(try makeKubeSource(server).watchNodes())
        defer { Task { await recorder.stop() } }
        try await recorder.nextNodes(named: ["a"])
        try await server.awaitOpenWatches(1)
        try await server.control("bump")  // resourceVersion 102, no node event
        // The server sends the bookmark before it hangs up, and the client reads both in order.
        try await server.control("bookmark")
        try await server.control("drop", ["mode": "now"])
        try await recorder.nextUnavailable()
        let served = try await server.awaitRequests("a second watch") { $0.filter { $0.isWatch }.count >= 2 }
        #expect(served.filter { $0.isWatch }[1].query["resourceVersion"] == "102")
    }

    @Test("a slow server: requests that outlast the timeout make the source unavailable; once it answers in time the set arrives")
    func slowServer() async throws {
        let server = try KubeTestServer(nodes: [try kubeNode("a", podCIDRs: ["10.244.1.0/24"])])
        defer { server.stop() }
        try await server.control("slow", ["ms": 2500])
        let recorder = await EventRecorder.recording(try makeKubeSource(server, requestTimeout: .seconds(1)).watchNodes())
        defer { Task { await recorder.stop() } }
        try await recorder.nextUnavailable()
        try await server.control("slow", ["ms": 300])
        try await recorder.nextNodes(named: ["a"])
    }

    @Test("pagination: a list in pages of limit=2 with continue tokens yields every node once")
    func pagination() async throws {
        let names = (1...7).map { "n\($0)" }
        let server = try KubeTestServer(nodes: try names.enumerated().map { index, name in
            try kubeNode(name, podCIDRs: ["10.244.\(index + 1).0/24"])
        })
        defer { server.stop() }
        let recorder = await EventRecorder.recording(try makeKubeSource(server, pageSize: 2).watchNodes())
        defer { Task { await recorder.stop() } }
        let first = try await recorder.next { _ in true }
        guard case .listed = first else { Issue.record("first event \(describe(first))"); return }
        let nodes = await recorder.lastMatchedNodes
        #expect(nodes.map(\.name) == names)
        let lists = try await server.requests().filter { $0.isList }
        #expect(lists.count == 4)
        #expect(lists.dropFirst().allSatisfy { $0.query["continue"] != nil && $0.query["limit"] == "2" })
    }
}
}
