@testable import Agent
import AgentAPI
import Cluster
import Foundation
import IPAM
import KubePolicy
import NetworkModel
import PodNetwork
import Policy
import Synchronization
import Testing
import TestSupport

/// The parts of `PolicyController` that need no API server: what it is fed, what it reads from
/// the IPAM store and inotify, how it reads the kernel's listing, and what it reports.
@Suite struct PolicyControllerPartsTests {
    private func pod(_ name: String, _ labels: [String: String] = [:]) -> PolicyPod {
        PolicyPod(namespace: "x", name: name, labels: labels, addresses: [IPAddress("10.244.1.9")!])
    }

    @Test("inputs are complete only when pods, namespaces, policies are listed and the store read; an outage changes nothing")
    func inputsCompleteness() {
        var inputs = PolicyInputs()
        #expect(!inputs.isComplete)
        #expect(inputs.missing == "the list of pods, the list of namespaces, the list of networkpolicies, the IPAM store")
        var changed = inputs.apply(CollectionEvent<PolicyPod>.listed([ObjectChange(key: "x/a", value: pod("a"))]))
        #expect(changed)
        changed = inputs.apply(CollectionEvent<PolicyNamespace>.listed([]))
        #expect(changed, "an empty first list still counts")
        changed = inputs.apply(CollectionEvent<PolicyPod>.unavailable(reason: "down"))
        #expect(!changed)
        changed = inputs.apply(CollectionEvent<PolicyPod>.changed([]))
        #expect(!changed)
        changed = inputs.apply(CollectionEvent<KubePolicyTranslation.Translated>.listed([]))
        #expect(changed)
        #expect(!inputs.isComplete && inputs.missing == "the IPAM store")
        inputs.endpoints = []
        #expect(inputs.isComplete && inputs.missing == nil)
        changed = inputs.apply(CollectionEvent<PolicyPod>.changed([ObjectChange(key: "x/a", value: nil)]))
        #expect(changed)
        #expect(inputs.compilerInput.pods.isEmpty)
    }

    @Test("the store's records become one endpoint per attachment, named as the plugin names the host veth")
    func endpointsFromTheStore() throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-le-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        #expect(try LocalEndpoints(dataDir: dataDir).read().isEmpty, "a missing data dir has no endpoints")
        let ranges = [IPPrefix("10.244.1.0/24")!, IPPrefix("fd00:10:244:1::/64")!]
        let eth0 = AttachmentID(containerID: "c1", ifname: "eth0")
        let net1 = AttachmentID(containerID: "c1", ifname: "net1")
        let bare = AttachmentID(containerID: "c2", ifname: "eth0")
        let web = try DiskStore(dataDir: dataDir, network: "trellis")
            .allocate(for: eth0, pod: PodMetadata(namespace: "x", name: "web", netns: "/n1"), ranges: ranges)
        let second = try DiskStore(dataDir: dataDir, network: "other")
            .allocate(for: net1, pod: PodMetadata(namespace: "x", name: "web", netns: "/n1"), ranges: [ranges[0]])
        let plain = try DiskStore(dataDir: dataDir, network: "trellis").allocate(for: bare, pod: PodMetadata(netns: "/n2"), ranges: [ranges[0]])
        let endpoints = try LocalEndpoints(dataDir: dataDir).read()
        let expected = [
            PolicyEndpoint(interface: HostVethName.forAttachment(eth0), pod: PodID(namespace: "x", name: "web"), addresses: web.sorted()),
            PolicyEndpoint(interface: HostVethName.forAttachment(net1), pod: PodID(namespace: "x", name: "web"), addresses: second),
            PolicyEndpoint(interface: HostVethName.forAttachment(bare), pod: nil, addresses: plain),
        ].sorted { $0.interface < $1.interface }
        #expect(endpoints == expected)
    }

    @Test("inotify wakes the reader for a store created after it started watching, and for each record")
    func directoryChanges() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-dc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let wakes = Mutex(0)
        let reader = Task { for await _ in DirectoryChanges.stream(of: root + "/data") { wakes.withLock { $0 += 1 } } }
        defer { reader.cancel() }
        #expect(await within(.seconds(5)) { wakes.withLock { $0 } == 1 }, "a first wake once the watches are in place: read now")
        try FileManager.default.createDirectory(atPath: root + "/data/trellis", withIntermediateDirectories: true)
        #expect(await within(.seconds(5)) { wakes.withLock { $0 } >= 2 }, "the data dir appeared")
        let before = wakes.withLock { $0 }
        try Data("{}".utf8).write(to: URL(fileURLWithPath: root + "/data/trellis/10.244.1.5"))
        #expect(await within(.seconds(5)) { wakes.withLock { $0 } > before }, "a record written in a store made after the watch began")
        let written = wakes.withLock { $0 }
        try FileManager.default.removeItem(atPath: root + "/data/trellis/10.244.1.5")
        #expect(await within(.seconds(5)) { wakes.withLock { $0 } > written }, "a record removed")
    }

    /// Polls `condition` every 10 ms until it holds (true) or `timeout` passes (false).
    private func within(_ timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test("a terse listing matches the ruleset it holds: rules per chain and sets, counters aside; a flushed chain does not")
    func listing() throws {
        let ruleset = PolicyRuleset(sets: ["pods4-1": PolicySet(kind: .addresses(.v4))],
                                    chains: ["ingress-trl0123456789a": ["ip saddr @pods4-1 tcp dport 80 return", "counter drop"]],
                                    dispatch: [.ingress: ["trl0123456789a": .goto("ingress-trl0123456789a")]],
                                    workloadInterfacePrefix: "trl")
        try withTestNamespace { namespace in
            let table = PolicyTable(namespacePath: namespace.path)
            try table.load(ruleset)
            let text = try #require(try table.listing())
            let listing = PolicyTableListing(text)
            #expect(listing.matches(ruleset), "\(text)")
            #expect(listing.drops == ["ingress-trl0123456789a": 0, "dispatch-ingress": 0, "dispatch-egress": 0])
            var other = ruleset
            other.chains["ingress-trl0123456789a"] = ["counter drop"]
            #expect(!listing.matches(other))
            try namespace.exec(["nft", "flush", "chain", "inet", "trellis-policy", "ingress-trl0123456789a"])
            #expect(!PolicyTableListing(try #require(try table.listing())).matches(ruleset))
            try table.remove()
            #expect(try table.listing() == nil)
        }
    }

    @Test("the report says per direction: open, isolated by which policy with its rules and drops, or blocked")
    func report() {
        var inputs = PolicyInputs()
        _ = inputs.apply(CollectionEvent<PolicyPod>.listed([ObjectChange(key: "x/a", value: pod("a", ["app": "a"]))]))
        _ = inputs.apply(CollectionEvent<PolicyNamespace>.listed([]))
        let deny = NetworkPolicy(namespace: "x", name: "deny", podSelector: .everything, policyTypes: [.ingress])
        _ = inputs.apply(CollectionEvent<KubePolicyTranslation.Translated>.listed(
            [ObjectChange(key: "x/deny", value: .init(policy: deny, problems: []))]))
        inputs.endpoints = [PolicyEndpoint(interface: "trl00000000001", pod: PodID(namespace: "x", name: "a"), addresses: [IPAddress("10.244.1.9")!]),
                            PolicyEndpoint(interface: "trl00000000002", pod: PodID(namespace: "x", name: "unknown"), addresses: [])]
        let ruleset = PolicyCompiler.compile(inputs.compilerInput)
        let report = PolicyReporting.report(inputs: inputs, applied: ruleset, inStep: true,
                                            drops: ["ingress-trl00000000001": 4], lastCommit: nil, latency: .milliseconds(12))
        #expect(report.lastCommitLatency == 0.012)
        let known = report.endpoints.first { $0.pod == "x/a" }
        #expect(known?.directions.map(\.state) == ["ingress", "egress"].map { $0 == "ingress" ? "isolated" : "open" })
        #expect(known?.directions.first?.policies == ["x/deny"])
        #expect(known?.directions.first?.allows == ["x/deny: nothing"])
        #expect(known?.directions.first?.rules == ["counter drop"])
        #expect(known?.directions.first?.dropped == 4)
        #expect(report.endpoints.first { $0.pod == "x/unknown" }?.directions.map(\.state) == ["blocked", "blocked"])
    }

    @Test("readiness: policy not in step keeps the node converging; without enforcement it plays no part")
    func readinessFact() {
        var facts = AgentFacts()
        facts.registered = true
        facts.localDatapathReady = true
        facts.datastoreReachable = true
        facts.firstListApplied = true
        facts.lastPassConverged = true
        #expect(facts.isReady && facts.policyInStep == nil)
        facts.policyInStep = false
        #expect(!facts.isReady && facts.phase == .converging)
        facts.policyInStep = true
        #expect(facts.isReady && facts.phase == .ready)
    }
}
