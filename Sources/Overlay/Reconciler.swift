import Cluster
import Logging
import Netlink
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The applier: makes the node's datapath match the desired state for the peers it is given,
/// through one `NetlinkHandle` bound to the node's network namespace. The only part of the
/// overlay that does I/O; what to write, and in which order, comes from `DesiredState` and
/// `Planner`.
///
/// Why this is tricky:
/// - Events must be cheap: `reconcile(peers:)` diffs against what it applied last (its cache)
///   and never dumps the kernel, except on its first pass (a restarted agent adopts what the
///   kernel already holds, with zero writes when it is right) and after a transport failure
///   left the cache unknown. `resync()` dumps what it owns and repairs drift.
/// - Ownership: it owns routes carrying `config.routeProtocol` in the main table, and the
///   permanent neighbour and FDB entries on its vxlan device; nothing else is read as its own,
///   and a route it does not own is never overwritten (`add` fails with `EEXIST` instead).
/// - Nothing is dropped: a refused write stays out of the cache, so the next pass plans it
///   again; a delete of an entry already gone counts as done.
/// - Withdrawing: it deletes entries only for peers missing from a list it was given. Until
///   the first `reconcile(peers:)` (a complete, successful list from the datastore) it
///   withdraws nothing, and stopping the agent removes nothing.
public final class Reconciler: Sendable {
    /// The configuration this reconciler programs.
    public let config: OverlayConfig
    private let handle: NetlinkHandle
    private let writer: any DatapathWriter
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        /// What the kernel holds of ours, as far as this reconciler knows; `nil`: read it.
        var applied: DatapathState?
        /// The vxlan device's index, once prepared (`nil` in direct mode without a device).
        var vxlanLinkIndex: Int32?
        /// False until the vxlan device was ensured (or looked up, in direct mode).
        var devicePrepared = false
        /// The last complete peer list; `nil` until the first `reconcile(peers:)`.
        var peers: [ClusterNode]?
        /// Skipped peers already logged, so each is logged once.
        var reportedSkips: Set<SkippedPeer> = []
    }

    /// A reconciler over `handle` (for the agent: `NetlinkHandle()` in the node's namespace),
    /// writing through `writer` (default: the handle itself). Does no I/O until called.
    public init(config: OverlayConfig, handle: NetlinkHandle, writer: (any DatapathWriter)? = nil,
                logger: Logger = Logger(label: "trellis.overlay")) {
        self.config = config
        self.handle = handle
        self.writer = writer ?? handle
        self.logger = logger
    }

    /// Makes the datapath match `peers`, which must be the complete list of nodes (the local
    /// node may be among them). Creates the vxlan device on the first call in vxlan and hybrid
    /// mode. Diffs against the cache of what it applied, so an event costs no kernel dump.
    ///
    /// Refused writes are in the summary's `failures` and retried on the next call. Throws a
    /// `NetlinkError` when the device cannot be ensured, the kernel cannot be read, or the
    /// socket fails mid-batch (the next call then reads the kernel and converges).
    @discardableResult
    public func reconcile(peers: [ClusterNode]) throws -> ReconcileSummary {
        try state.withLock { state in
            if !state.devicePrepared { try prepareDevice(&state) }
            state.peers = peers
            return try converge(&state, readKernel: state.applied == nil)
        }
    }

    /// Re-ensures the vxlan device, reads what this reconciler owns from the kernel (routes
    /// with its protocol; neighbours and FDB entries on its device), and repairs any drift
    /// from the last peer list: an entry deleted or changed by hand comes back, one added with
    /// its protocol goes. Before the first `reconcile(peers:)` it only reads. Throws as
    /// `reconcile(peers:)`.
    @discardableResult
    public func resync() throws -> ReconcileSummary {
        try state.withLock { state in
            try prepareDevice(&state)
            return try converge(&state, readKernel: true)
        }
    }

    /// The writes a resync would make now, without making them (for `cnictl diagnose`): empty
    /// when the kernel matches the last peer list, or before the first `reconcile(peers:)`.
    public func drift() throws -> [DatapathOperation] {
        try state.withLock { state in
            guard let peers = state.peers else { return [] }
            let desired = DesiredState.compute(config: config, vxlanLinkIndex: state.vxlanLinkIndex, peers: peers)
            return Planner.plan(desired: desired.datapath, observed: try observe(vxlanLinkIndex: state.vxlanLinkIndex))
        }
    }

    /// Ensures the vxlan device when the mode uses one; in direct mode only looks it up, so
    /// entries an earlier vxlan or hybrid run left on it are cleaned up. A device created or
    /// recreated (its entries gone with it) invalidates the cache.
    private func prepareDevice(_ state: inout State) throws {
        let index: Int32?
        if config.usesVXLAN {
            let device = try VXLANDevice.ensure(config: config, handle: handle)
            index = device.link.index
            if device.created { state.applied = nil }
        } else {
            index = try handle.findLink(named: config.vxlan.deviceName)?.index
        }
        if index != state.vxlanLinkIndex { state.applied = nil }
        state.vxlanLinkIndex = index
        state.devicePrepared = true
    }

    /// One pass: (read the kernel,) compute, plan, apply, remember.
    private func converge(_ state: inout State, readKernel: Bool) throws -> ReconcileSummary {
        let clock = ContinuousClock()
        let start = clock.now
        if readKernel { state.applied = try observe(vxlanLinkIndex: state.vxlanLinkIndex) }
        guard let peers = state.peers, let observed = state.applied else {
            return ReconcileSummary(applied: 0, failures: [], skipped: [], desiredEntries: 0,
                                    observedKernel: readKernel, duration: clock.now - start)
        }
        let desired = DesiredState.compute(config: config, vxlanLinkIndex: state.vxlanLinkIndex, peers: peers)
        report(desired.skipped, &state)
        let plan = Planner.plan(desired: desired.datapath, observed: observed)
        var failures: [DatapathFailure] = []
        if !plan.isEmpty {
            do {
                failures = try writer.write(plan).filter { !Self.isAlreadyDone($0) }
            } catch {
                state.applied = nil
                throw error
            }
            state.applied = observed.afterApplying(desired: desired.datapath, failed: failures.map(\.operation))
            report(failures, &state)
        }
        return ReconcileSummary(applied: plan.count - failures.count, failures: failures, skipped: desired.skipped,
                                desiredEntries: desired.datapath.count, observedKernel: readKernel,
                                duration: clock.now - start)
    }

    /// What the kernel holds that this reconciler owns.
    private func observe(vxlanLinkIndex: Int32?) throws -> DatapathState {
        let routes = try handle.routes(table: Route.mainTable, protocol: config.routeProtocol)
        guard let vxlanLinkIndex else { return DatapathState(routes: Set(routes)) }
        let neighbors = try handle.neighbors(linkIndex: vxlanLinkIndex).filter { $0.state.contains(.permanent) }
        return DatapathState(routes: Set(routes), neighbors: Set(neighbors),
                             fdbEntries: Set(try handle.fdbEntries(linkIndex: vxlanLinkIndex)))
    }

    /// A delete refused because the entry is already gone reached its goal.
    private static func isAlreadyDone(_ failure: DatapathFailure) -> Bool {
        switch failure.operation {
        case .deleteRoute, .deleteNeighbor, .deleteFDB: failure.error.isNotFound
        default: false
        }
    }

    /// Logs skipped peers not logged before (a peer skipped again after recovering is logged
    /// again).
    private func report(_ skipped: [SkippedPeer], _ state: inout State) {
        let current = Set(skipped)
        for peer in skipped where !state.reportedSkips.contains(peer) {
            logger.log(level: peer.isRoutine ? .debug : .warning, "peer skipped: \(peer)")
        }
        state.reportedSkips = current
    }

    /// Logs refused writes; a missing device means the vxlan device went away, so the next
    /// pass ensures it again and reads the kernel.
    private func report(_ failures: [DatapathFailure], _ state: inout State) {
        guard !failures.isEmpty else { return }
        logger.warning("\(failures.count) datapath writes refused, retrying on the next pass",
                       metadata: ["first": "\(failures[0])"])
        if failures.contains(where: { $0.error.errno == ENODEV }) {
            state.devicePrepared = false
            state.applied = nil
        }
    }
}
