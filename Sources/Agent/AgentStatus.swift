import AgentAPI
import FoundationEssentials
import NetworkModel

/// The live status, written by the agent's loop and read by the status server: the facts
/// readiness derives from, this node's own share, its peers and the recent errors. Peers are
/// kept by name and updated by their changes, so an event costs its changes here too; the
/// sorted list is made only when `/status` is asked for.
public actor AgentStatus {
    /// How many recent errors are kept.
    public static let errorLimit = 20

    private var report: AgentStatusReport
    private var peersByName: [String: ClusterNode] = [:]
    /// The peers' slices per family, kept with `peersByName`.
    private var peerSliceCounts: [IPFamily: Int] = [:]
    private var waiters: [(id: UInt64, until: @Sendable (AgentFacts) -> Bool, resume: CheckedContinuation<Void, Never>)] = []
    private var nextWaiter: UInt64 = 0
    /// The last error recorded and how often in a row.
    private var lastError: (text: String, repeats: Int)?

    /// True once the datastore was told that this node's datapath is wired.
    public private(set) var announced = false

    /// A status for `nodeName`, knowing nothing yet.
    public init(nodeName: String, mode: DatapathMode) {
        report = AgentStatusReport(nodeName: nodeName, mode: mode)
    }

    /// The facts as they stand.
    public var facts: AgentFacts { report.facts }

    /// The number of peers.
    public var peerCount: Int { peersByName.count }

    /// The number of the peers' slices of `family`.
    public func peerSlices(_ family: IPFamily) -> Int { peerSliceCounts[family, default: 0] }

    /// The whole report, peers sorted by name.
    public func snapshot() -> AgentStatusReport {
        var copy = report
        copy.phase = copy.facts.phase
        copy.peers = peersByName.values.sorted { $0.name < $1.name }
        return copy
    }

    /// Changes facts; wakes those waiting for the new ones. Returns the facts before.
    @discardableResult
    public func update(_ change: (inout AgentFacts) -> Void) -> AgentFacts {
        let before = report.facts
        change(&report.facts)
        if report.facts != before { wake() }
        return before
    }

    /// Changes what the report says besides facts and peers (slices, MTU, settings).
    public func describe(_ change: (inout AgentStatusReport) -> Void) {
        change(&report)
    }

    /// Applies peers' changes (nil: gone).
    public func updatePeers(_ changes: [(name: String, node: ClusterNode?)], at time: Date) {
        for (name, node) in changes {
            for slice in peersByName[name]?.podCIDRs ?? [] { peerSliceCounts[slice.family, default: 0] -= 1 }
            for slice in node?.podCIDRs ?? [] { peerSliceCounts[slice.family, default: 0] += 1 }
            peersByName[name] = node
        }
        report.lastSync = time
    }

    /// Notes a completed resync.
    public func markResynced(at time: Date) {
        report.lastResync = time
    }

    /// Notes that the datastore was told this node is wired.
    public func markAnnounced() {
        announced = true
    }

    /// Keeps `error` among the recent errors, with the time. The same error again (a datastore
    /// outage reported at every retry) replaces the last entry, counting the repeats, so one
    /// long outage does not push every other error out.
    public func record(error: String, at time: Date = Date()) {
        if let last = lastError, last.text == error, !report.errors.isEmpty {
            lastError = (error, last.repeats + 1)
            report.errors[report.errors.count - 1] = "\(time.formatted(.iso8601)) \(error) (\(last.repeats + 1) times)"
            return
        }
        lastError = (error, 1)
        report.errors.append("\(time.formatted(.iso8601)) \(error)")
        if report.errors.count > Self.errorLimit { report.errors.removeFirst(report.errors.count - Self.errorLimit) }
    }

    /// Returns once `until` holds for the facts (at once if it already does), or when the
    /// waiting task is cancelled.
    public func wait(until: @escaping @Sendable (AgentFacts) -> Bool) async {
        if until(report.facts) { return }
        nextWaiter += 1
        let id = nextWaiter
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume()
                } else {
                    waiters.append((id, until, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).resume.resume()
    }

    private func wake() {
        let facts = report.facts
        let ready = waiters.filter { $0.until(facts) }
        waiters.removeAll { $0.until(facts) }
        ready.forEach { $0.resume.resume() }
    }
}
