import AgentAPI
import Cluster
import FoundationEssentials
import Logging
import NetworkModel
import Overlay
import ServiceLifecycle

/// The agent's orchestration: prepares what the node owns, registers it, then keeps the
/// datapath in step with the cluster, on every change from the datastore and on a periodic
/// resync against the kernel (level-triggered: drift is repaired on the next resync).
///
/// Order matters: the node is published (registered) only once its own share of the datapath
/// (masquerade table, vxlan device) is in place, so peers are never told about a node that
/// cannot take their traffic; the datastore learns that the node is wired
/// (`announceNetworkAvailable`, Kubernetes' `NetworkUnavailable=False`) exactly once, after
/// the first complete list of nodes was applied to the kernel, and an outage never takes it
/// back: the routes stay, and so do pods' paths.
///
/// Readiness is `AgentFacts`, each fact set from what just happened here and nowhere else.
/// Graceful shutdown stops the loop and removes nothing.
public struct NodeAgent: Service {
    let nodeName: String
    let registration: NodeRegistration
    let resyncInterval: Duration
    let source: any NodeSource
    let datapath: any NodeDatapath
    let status: AgentStatus
    let metrics: AgentMetrics
    let retry: RetryPolicy
    let logger: Logger

    /// An agent for `registration.name`: everything it learns from `source` goes to
    /// `datapath`; `status` and `metrics` report it; `retry` paces retries of a failed prepare,
    /// announce or registration step.
    public init(registration: NodeRegistration, resyncInterval: Duration, source: any NodeSource,
                datapath: any NodeDatapath, status: AgentStatus, metrics: AgentMetrics,
                retry: RetryPolicy = RetryPolicy(), logger: Logger) {
        self.nodeName = registration.name
        self.registration = registration
        self.resyncInterval = resyncInterval
        self.source = source
        self.datapath = datapath
        self.status = status
        self.metrics = metrics
        self.retry = retry
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            let (triggers, continuation) = AsyncStream.makeStream(of: Trigger.self)
            try await withThrowingDiscardingTaskGroup { group in
                // The node list is read while the node prepares and registers, and waits in
                // the stream until then: at 20,000 nodes the list and the slice lease each take
                // a good part of a second, and neither needs the other.
                group.addTask {
                    for await event in source.watchNodes() { continuation.yield(.source(event)) }
                    continuation.finish()
                }
                let local = try await prepareAndRegister()
                group.addTask {
                    while true {
                        try await Task.sleep(for: resyncInterval)
                        continuation.yield(.resync)
                    }
                }
                await follow(triggers, slices: local.podCIDRs)
                group.cancelAll()
            }
        }
    }

    /// Until the node is published and targeted: prepare (retried), register (the source
    /// retries), adopt (retried).
    private func prepareAndRegister() async throws -> ClusterNode {
        let prepared = try await retrying("prepare this node's datapath") { try datapath.prepare() }
        await noteLocal(prepared)
        await status.update { $0.localDatapathReady = true }
        let local = try await source.register(registration)
        logger.info("registered", metadata: ["podCIDRs": "\(local.podCIDRs.map(\.description))", "vtepMAC": "\(registration.vtepMAC)"])
        await status.update { $0.registered = true; $0.datastoreReachable = true }
        let adopted = try await retrying("target this node's slice") { try datapath.adopt(local) }
        await noteLocal(adopted, slices: local.podCIDRs)
        return local
    }

    /// What wakes the loop.
    private enum Trigger: Sendable {
        case source(NodeSourceEvent)
        case resync
    }

    /// Why a pass runs: the label of its metrics and log lines.
    private enum PassKind: String {
        case list
        case listPage = "list_page"
        case event
        case resync
    }

    /// Follows the datastore and the resync clock until `triggers` ends; `slices` are this node's.
    private func follow(_ triggers: AsyncStream<Trigger>, slices: [IPPrefix]) async {
        var slices = slices
        // A complete list has been handed to the datapath: from then on, a pass that
        // succeeds has applied it.
        var listReceived = false
        for await trigger in triggers {
            switch trigger {
            case .source(.listed(let changes)):
                // The first list may have been read before this node registered: its own
                // record there can be the one registration just replaced.
                let ownRecordIsCurrent = listReceived
                listReceived = true
                await follow(changes, kind: .list, slices: &slices, listReceived: true, ownRecordIsCurrent: ownRecordIsCurrent)
            case .source(.listing(let changes)):
                // A page of the first list: its peers are written now, nothing is withdrawn
                // and nothing counts as listed until the `.listed` that ends it.
                await follow(changes, kind: .listPage, slices: &slices, listReceived: false, ownRecordIsCurrent: false)
            case .source(.changed(let changes)):
                await follow(changes, kind: .event, slices: &slices, listReceived: listReceived, ownRecordIsCurrent: true)
            case .source(.unavailable(let reason)):
                metrics.datastoreUp.set(Int64(0))
                await status.update { $0.datastoreReachable = false }
                await status.record(error: "datastore unavailable: \(reason)")
                continue
            case .resync:
                await pass(.resync, listReceived: listReceived) { try datapath.resync() }
                await status.markResynced(at: Date())
            }
            if listReceived { await announceWhenWired() }
        }
    }

    /// Applies a batch of node changes: this node's own (a new slice, when `ownRecordIsCurrent`)
    /// first, then the peers'.
    private func follow(_ changes: [ObjectChange<ClusterNode>], kind: PassKind, slices: inout [IPPrefix],
                        listReceived: Bool, ownRecordIsCurrent: Bool) async {
        metrics.datastoreUp.set(Int64(1))
        await status.update { $0.datastoreReachable = true }
        if ownRecordIsCurrent, let own = changes.last(where: { $0.key == nodeName })?.value, !own.podCIDRs.isEmpty,
           own.podCIDRs != slices {
            logger.critical("this node's slice changed; moving to it (pods with addresses from the old one need restarting)",
                            metadata: ["old": "\(slices)", "new": "\(own.podCIDRs)"])
            do {
                await noteLocal(try datapath.adopt(own), slices: own.podCIDRs)
                slices = own.podCIDRs
            } catch {
                await status.record(error: "move to the new slice: \(error)")
            }
        }
        let peers = changes.filter { $0.key != nodeName }.map { PeerChange(name: $0.key, node: $0.value) }
        await pass(kind, listReceived: listReceived) {
            kind == .listPage ? try datapath.apply(listPage: peers) : try datapath.apply(peers)
        }
        await status.updatePeers(peers.map { ($0.name, $0.node) }, at: Date())
        metrics.peers.set(Int64(await status.peerCount))
        for family in IPFamily.allCases { metrics.peerSlices(family).set(Int64(await status.peerSlices(family))) }
    }

    /// Runs one pass, logs and counts it, and sets the facts it speaks for: the node's own
    /// share is in place after a resync that succeeded, the last pass converged or not, and a
    /// complete list is applied once a pass succeeded after one was received.
    private func pass(_ kind: PassKind, listReceived: Bool, _ body: () throws -> PassReport) async {
        let trigger = kind.rawValue
        metrics.reconciles(trigger).increment()
        do {
            let report = try body()
            let summary = report.summary
            metrics.reconcileDuration.recordNanoseconds(summary.duration.nanoseconds)
            metrics.appliedOperations.increment(by: Int64(summary.applied))
            metrics.failedOperations.increment(by: Int64(summary.failed))
            if summary.applied > 0 || !summary.isConverged {
                // A large first list has dozens of pages: their passes are detail.
                logger.log(level: kind == .listPage && summary.isConverged ? .debug : .info, "\(trigger): \(summary)")
            }
            for failure in summary.failures.prefix(5) { await status.record(error: "\(failure)") }
            await noteLocal(report.local, routeShape: summary.routeShape)
            await status.update { facts in
                facts.localDatapathReady = true
                facts.lastPassConverged = summary.isConverged
                facts.firstListApplied = facts.firstListApplied || listReceived
            }
        } catch {
            logger.error("\(trigger) failed; retrying on the next event or resync", metadata: ["error": "\(error)"])
            await status.record(error: "\(trigger): \(error)")
            await status.update { facts in
                facts.lastPassConverged = false
                if kind == .resync { facts.localDatapathReady = false }
            }
        }
    }

    /// Tells the datastore this node is wired, once, when the facts say so; a failure is
    /// retried after the next pass.
    private func announceWhenWired() async {
        guard await status.facts.isWired, await !status.announced else { return }
        do {
            try await source.announceNetworkAvailable(nodeName: nodeName)
            await status.markAnnounced()
            logger.info("told the datastore this node's network is available")
        } catch {
            logger.warning("cannot mark this node's network available; retrying after the next pass", metadata: ["error": "\(error)"])
            await status.record(error: "announce network available: \(error)")
        }
    }

    /// Puts the node's own share into the report.
    private func noteLocal(_ local: LocalState, slices: [IPPrefix]? = nil, routeShape: RouteShape? = nil) async {
        for warning in local.warnings { await status.record(error: warning) }
        await status.describe { report in
            if let slices { report.podCIDRs = slices }
            if let routeShape { report.routeShape = routeShape.rawValue }
            report.publicIP = local.publicIP
            report.underlayAddresses = local.underlayAddresses
            report.underlayInterface = local.underlayInterface
            report.underlayMTU = local.underlayMTU
            report.podMTU = local.podMTU
        }
    }

    /// Runs `step` until it succeeds, backing off between failures and recording each.
    private func retrying<T>(_ what: String, _ step: () throws -> T) async throws -> T {
        var backoff = Backoff(retry)
        while true {
            do {
                return try step()
            } catch {
                logger.error("cannot \(what); retrying", metadata: ["error": "\(error)"])
                await status.record(error: "\(what): \(error)")
                try await backoff.wait()
            }
        }
    }
}

extension Duration {
    /// The duration in whole nanoseconds.
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
