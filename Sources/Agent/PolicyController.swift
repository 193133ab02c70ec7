import AgentAPI
import Cluster
import FoundationEssentials
import KubePolicy
import Logging
import PodNetwork
import Policy
import ServiceLifecycle
import Synchronization

/// Enforces NetworkPolicy on this node: follows the cluster's Pods, Namespaces and
/// NetworkPolicies and this node's IPAM stores, compiles them (`PolicyCompiler`, pure) and
/// keeps table `inet trellis-policy` equal to the result, level-triggered.
///
/// Why this is tricky:
/// - Fail closed, also across restarts. A node without the table gets an empty one at once (its
///   dispatch maps know no interface, so no pod's forwarded traffic passes); a table left by
///   the previous run stays as it is. Nothing is compiled until all three lists and the store
///   have been read: a partial list would open pods a policy isolates.
/// - A new pod must meet its policy with its first packet. The plugin writes the IPAM record
///   before it creates the veth; inotify wakes the controller, which reads the store and
///   programs the interface, usually before the pod's first packet (and until then the
///   interface passes nothing).
/// - Work per event is the change in the kernel: events are coalesced (everything queued while
///   a batch is handled becomes the next batch), compiled whole (a pure function, milliseconds),
///   and moved into the kernel by an incremental transaction of set elements and the chains
///   that changed, never a rebuild.
/// - Drift is repaired: every resync compares the kernel's terse listing (chains, their rule
///   counts, the sets declared) with the ruleset committed last and reloads the table
///   atomically when they differ.
public final class PolicyController: Service, Sendable {
    private let watches: PolicyWatches
    private let endpoints: LocalEndpoints
    private let table: PolicyTable
    private let status: AgentStatus
    private let metrics: PolicyMetrics
    private let resyncInterval: Duration
    private let logger: Logger
    /// What `/policy` reports, kept after every batch.
    private let published = Mutex<Published>(Published())

    /// What the last batch left, for `report()`.
    private struct Published: Sendable {
        var inputs = PolicyInputs()
        var applied: PolicyRuleset?
        var inStep = false
        var drops: [String: UInt64] = [:]
        var lastCommit: Date?
        var lastCommitLatency: Duration?
    }

    /// What wakes the controller.
    enum Event: Sendable {
        case pods(CollectionEvent<PolicyPod>)
        case namespaces(CollectionEvent<PolicyNamespace>)
        case policies(CollectionEvent<KubePolicyTranslation.Translated>)
        case store
        case resync
    }

    /// A controller for this node; `status` receives the `policyInStep` fact.
    public init(watches: PolicyWatches, endpoints: LocalEndpoints, table: PolicyTable, status: AgentStatus,
                metrics: PolicyMetrics, resyncInterval: Duration, logger: Logger) {
        self.watches = watches
        self.endpoints = endpoints
        self.table = table
        self.status = status
        self.metrics = metrics
        self.resyncInterval = resyncInterval
        self.logger = logger
    }

    /// Runs until cancelled or shut down gracefully; the table stays as it is when it stops.
    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await self.follow() }
    }

    private func follow() async throws {
        await status.update { $0.policyInStep = false }
        let inbox = EventInbox<Event>()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { for await event in self.watches.pods() { inbox.post(.pods(event)) } }
            group.addTask { for await event in self.watches.namespaces() { inbox.post(.namespaces(event)) } }
            group.addTask { for await event in self.watches.policies() { inbox.post(.policies(event)) } }
            group.addTask { for await _ in DirectoryChanges.stream(of: self.endpoints.dataDir) { inbox.post(.store) } }
            group.addTask {
                while true {
                    try await Task.sleep(for: self.resyncInterval)
                    inbox.post(.resync)
                }
            }
            var state = State(applied: failClosed())
            while !Task.isCancelled {
                let batch = await inbox.take()
                guard !batch.isEmpty else { continue }
                await handle(batch, &state)
            }
            group.cancelAll()
        }
    }

    /// The loop's own state.
    private struct State {
        var inputs = PolicyInputs()
        /// What the kernel's table holds as far as the controller knows; nil when unknown (a
        /// table left by an earlier run), which the first commit replaces whole.
        var applied: PolicyRuleset?
        /// The last compile's sets, so the next rebuilds only those whose members changed.
        var memo = PolicySetMemo()
        /// True when the last transaction failed: the next batch or resync tries again.
        var failed = false
    }

    /// At start: an empty table (every pod interface blocked) when there is none, the one from
    /// before otherwise. Returns what the kernel holds, when known.
    private func failClosed() -> PolicyRuleset? {
        do {
            if try table.listing() != nil {
                logger.info("keeping the policy table of the previous run until the first complete compile")
                return nil
            }
            let empty = PolicyRuleset(workloadInterfacePrefix: HostVethName.prefix)
            try table.load(empty)
            logger.info("loaded an empty policy table: pod traffic is held until pods, namespaces and policies are listed")
            return empty
        } catch {
            logger.error("cannot load the policy table", metadata: ["error": "\(error)"])
            return nil
        }
    }

    private func handle(_ batch: [(event: Event, arrived: ContinuousClock.Instant)], _ state: inout State) async {
        var changedSince: ContinuousClock.Instant?
        var readStore = false
        var resync = false
        for (event, arrived) in batch {
            let changed: Bool
            switch event {
            case .pods(let event): changed = state.inputs.apply(event)
            case .namespaces(let event): changed = state.inputs.apply(event)
            case .policies(let event): changed = state.inputs.apply(event)
            case .store:
                readStore = true
                changed = true
            case .resync:
                resync = true
                changed = false
            }
            if changed, changedSince == nil { changedSince = arrived }
        }
        if readStore {
            do {
                state.inputs.endpoints = try endpoints.read()
            } catch {
                logger.error("cannot read the IPAM store", metadata: ["error": "\(error)"])
                await status.record(error: "policy: cannot read the IPAM store: \(error)")
            }
        }
        var listing: PolicyTableListing?
        if resync {
            do {
                listing = try table.listing().map(PolicyTableListing.init)
            } catch {
                logger.error("cannot list the policy table", metadata: ["error": "\(error)"])
            }
            if let applied = state.applied, let current = listing, !current.matches(applied) {
                logger.warning("the policy table differs from what was committed; loading it again")
                state.applied = nil
            } else if listing == nil, state.applied != nil {
                logger.warning("the policy table is gone; loading it again")
                state.applied = nil
            }
        }
        let compileStart = ContinuousClock.now
        let compiled = state.inputs.isComplete ? PolicyCompiler.compile(state.inputs.compilerInput, memo: &state.memo) : nil
        let compileTime = ContinuousClock.now - compileStart
        if let compiled, compiled != state.applied || state.failed {
            commit(compiled, &state, since: changedSince ?? batch[0].arrived, compileTime: compileTime)
            listing = nil
        } else if compiled == nil, state.applied == nil, resync {
            state.applied = failClosed()
        }
        if resync, listing == nil { listing = try? table.listing().map(PolicyTableListing.init) }
        await publish(state, drops: listing?.drops)
    }

    /// Moves the table to `ruleset`: incrementally from what it holds, whole when that is
    /// unknown or the increment is refused.
    private func commit(_ ruleset: PolicyRuleset, _ state: inout State, since: ContinuousClock.Instant,
                        compileTime: Duration) {
        let transactionStart = ContinuousClock.now
        do {
            if let applied = state.applied {
                do {
                    try table.update(from: applied, to: ruleset)
                } catch {
                    logger.warning("nft refused the incremental policy update; loading the table whole", metadata: ["error": "\(error)"])
                    metrics.failures.increment()
                    try table.load(ruleset)
                }
            } else {
                try table.load(ruleset)
            }
            let latency = ContinuousClock.now - since
            metrics.commitLatency.recordNanoseconds(latency.nanoseconds)
            state.applied = ruleset
            state.failed = false
            published.withLock {
                $0.lastCommit = Date()
                $0.lastCommitLatency = latency
            }
            let transactionTime = ContinuousClock.now - transactionStart
            if latency > .milliseconds(250) {
                logger.notice("slow policy commit", metadata: ["latency": "\(latency)", "compile": "\(compileTime)",
                                                               "transaction": "\(transactionTime)"])
            } else {
                logger.debug("policy committed", metadata: ["latency": "\(latency)"])
            }
        } catch {
            metrics.failures.increment()
            state.failed = true
            logger.error("cannot load the policy table", metadata: ["error": "\(error)"])
        }
    }

    /// Publishes the state to the report, the metrics and the readiness fact.
    private func publish(_ state: State, drops: [String: UInt64]?) async {
        let inStep = state.inputs.isComplete && !state.failed && state.applied != nil
        let setElements = state.applied?.sets.values.reduce(0) { $0 + $1.elements.count } ?? 0
        published.withLock {
            $0.inputs = state.inputs
            $0.applied = state.applied
            $0.inStep = inStep
            if let drops { $0.drops = drops }
        }
        metrics.policies.set(Int64(state.inputs.policies.count))
        metrics.pods.set(Int64(state.inputs.pods.count))
        metrics.namespaces.set(Int64(state.inputs.namespaces.count))
        metrics.setElements.set(Int64(setElements))
        metrics.inStep.set(Int64(inStep ? 1 : 0))
        if let drops {
            metrics.setDrops((state.inputs.endpoints ?? []).flatMap { endpoint in
                PolicyDirection.allCases.compactMap { direction in
                    endpoint.pod.map { pod in
                        (pod: pod.description, direction: direction.rawValue,
                         packets: drops[PolicyRuleset.chainName(direction, interface: endpoint.interface)] ?? 0)
                    }
                }
            })
        }
        await status.update { $0.policyInStep = inStep }
    }

    /// What `cnictl diagnose` reports about policy: the table missing, or not holding what was
    /// committed last (someone changed it; the next resync reloads it), or not in step.
    public func diagnose() -> [Finding] {
        let current = published.withLock { $0 }
        var findings: [Finding] = []
        do {
            guard let text = try table.listing() else {
                return [Finding(check: "policy", message: "table \(PolicyTransaction.table) is missing: pod traffic is not policed")]
            }
            if current.inStep, let applied = current.applied, !PolicyTableListing(text).matches(applied) {
                findings.append(Finding(check: "policy", message: "table \(PolicyTransaction.table) differs from what the agent committed (the next resync loads it again)"))
            }
        } catch {
            return [Finding(check: "policy", message: "cannot list table \(PolicyTransaction.table): \(error)")]
        }
        if !current.inStep {
            findings.append(Finding(check: "policy", message: "not in step: waiting for \(current.inputs.missing ?? "a transaction nft accepts (see the agent's log)")"))
        }
        return findings
    }

    /// What `/policy` serves: the state after the last batch, with drop counters read now.
    public func report() -> PolicyReport {
        let current = published.withLock { $0 }
        let drops = (try? table.listing()).flatMap { $0.map { PolicyTableListing($0).drops } } ?? current.drops
        return PolicyReporting.report(inputs: current.inputs, applied: current.applied, inStep: current.inStep,
                                      drops: drops, lastCommit: current.lastCommit, latency: current.lastCommitLatency)
    }
}
