import NetworkModel
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
/// - Events must be cheap: `reconcile(peers:)` updates the desired state peer by peer
///   (`PeerTable`) and plans only the changed peers' entries against what it applied last; it
///   never dumps the kernel, except on its first pass (a restarted agent adopts what the
///   kernel already holds, with zero writes when it is right) and after a transport failure
///   left the kernel's state unknown. `resync()` dumps what it owns and repairs drift.
/// - Calls are serialised: a reconcile and a resync never interleave their writes.
/// - Ownership: it owns routes carrying `config.routeProtocol` in the main table, nexthops
///   with that protocol and an id in `config.nexthopIDs`, and the permanent neighbour and FDB
///   entries on its vxlan device; nothing else is read as its own, and a route or nexthop it
///   does not own is never overwritten (`add` fails with `EEXIST` instead).
/// - Route shape: asked once (the writer's `supportsNexthops`), vxlan routes refer to nexthop
///   objects (`RouteShape.nexthop`), else carry their gateway (`.onlink`). The desired state
///   and the delta stay in the onlink shape; they are moved into the nexthop shape (ids from an
///   allocation the reconciler keeps, seeded from the kernel when it reads it) right before
///   planning, so an event still costs work in proportion to the change.
/// - Nothing is dropped: a refused write stays out of the cache, so the next pass plans it
///   again; a delete of an entry already gone counts as done.
/// - Withdrawing: it deletes entries only for peers missing from a list it was given. Until
///   the first `reconcile(peers:)` (a complete, successful list from the datastore) it
///   withdraws nothing, and stopping the agent removes nothing.
/// - A first list read in pages is written as it arrives (`reconcile(listPage:)`): a page only
///   adds and replaces, since the peers on later pages are not known yet, and deletions wait
///   for the complete list. At 20,000 peers this overlaps the kernel writes with the list. A
///   page never costs a full pass: over a kernel that already holds entries of ours (a
///   restarted agent, whose entries are mostly right) the list is applied once it is complete.
public final class Reconciler: Sendable {
    /// The configuration this reconciler programs.
    public let config: OverlayConfig
    private let handle: NetlinkHandle
    private let writer: any DatapathWriter
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        /// What the kernel holds of ours, as far as this reconciler knows.
        var applied = Applied.unknown
        /// The vxlan device's index, once prepared (`nil` in direct mode without a device).
        var vxlanLinkIndex: Int32?
        /// False until the vxlan device was ensured (or looked up, in direct mode).
        var devicePrepared = false
        /// The desired state for the last complete peer list (or the pages read so far of the
        /// first one); `nil` until the first call.
        var table: PeerTable?
        /// True while the pages of a first list are being written: nothing is withdrawn until
        /// the list is complete.
        var isReadingList = false
        /// Skipped peers already logged, so each is logged once.
        var reportedSkips: Set<SkippedPeer> = []
        /// How vxlan routes are programmed; `nil` until asked, on the first pass.
        var shape: RouteShape?
        /// The ids of the nexthops the desired routes refer to (nexthop shape only).
        var nexthopIDs: NexthopIDs
    }

    /// What the kernel holds of the reconciler's own entries.
    private enum Applied {
        /// Not known: read the kernel before planning.
        case unknown
        /// Exactly the table's desired state (the last pass converged).
        case desired
        /// This state (some writes were refused).
        case known(DatapathState)
    }

    /// A reconciler over `handle` (for the agent: `NetlinkHandle()` in the node's namespace),
    /// writing through `writer` (default: the handle itself). Does no I/O until called.
    public init(config: OverlayConfig, handle: NetlinkHandle, writer: (any DatapathWriter)? = nil,
                logger: Logger = Logger(label: "trellis.overlay")) {
        self.config = config
        self.handle = handle
        self.writer = writer ?? handle
        self.logger = logger
        self.state = Mutex(State(nexthopIDs: NexthopIDs(range: config.nexthopIDs)))
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
        try update(initial: peers, completesList: true) { $0.update(to: peers) }
    }

    /// Makes the datapath follow `changes` to the peers it was last given: work in proportion
    /// to the changes. The first call completes a list: it carries every node of it (the
    /// engine's first `.listed`), or every node the pages before it (`reconcile(listPage:)`)
    /// did not; until then nothing is withdrawn. Throws as `reconcile(peers:)`.
    @discardableResult
    public func reconcile(changes: [PeerChange]) throws -> ReconcileSummary {
        try update(initial: changes.compactMap(\.node), completesList: true) { $0.apply(changes) }
    }

    /// Writes a page of a first list as it is read (`changes`: the page's peers as the list
    /// has them): adds and replaces their entries and withdraws nothing, since the peers on
    /// later pages are not known yet. The `reconcile(changes:)` (or `reconcile(peers:)`) that
    /// brings the rest completes the list and withdraws what the kernel holds beyond it. After
    /// a complete list a page is an ordinary change. Throws as `reconcile(peers:)`.
    @discardableResult
    public func reconcile(listPage changes: [PeerChange]) throws -> ReconcileSummary {
        try update(initial: changes.compactMap(\.node), completesList: false) { $0.apply(changes) }
    }

    /// Moves the table by `change` (or builds it for `initial` on the first call) and sends
    /// the difference; a call that `completesList` ends the reading of a first list.
    private func update(initial: [ClusterNode], completesList: Bool,
                        _ change: (inout PeerTable) -> PeerTable.Change) throws -> ReconcileSummary {
        try state.withLock { state in
            let start = ContinuousClock.now
            if !state.devicePrepared { try prepareDevice(&state) }
            guard state.table != nil else {
                state.table = PeerTable(config: config, vxlanLinkIndex: state.vxlanLinkIndex, peers: initial)
                state.isReadingList = !completesList
                return try converge(&state, since: start)
            }
            state.isReadingList = state.isReadingList && !completesList
            switch (change(&state.table!), state.applied) {
            case (.delta(let delta), .desired):
                // The kernel held the old desired state: the delta is the whole difference.
                return try send(delta, &state, since: start)
            case (.rebuilt(let previous), .desired):
                state.applied = .known(kernelShaped(previous, &state))
                return try converge(&state, since: start)
            case (.delta, _), (.rebuilt, _):
                return try converge(&state, since: start)
            }
        }
    }

    /// Sends `delta` to a kernel holding the table's previous desired state. While a list is
    /// read nothing is withdrawn: entries of a page's peers that no peer wants any more stay,
    /// and the kernel's state is then known apart from the table (later pages wait for the
    /// list's end).
    private func send(_ delta: PeerTable.Delta, _ state: inout State, since start: ContinuousClock.Instant) throws -> ReconcileSummary {
        let removed = kernelShaped(delta.removed, &state)
        let added = kernelShaped(delta.added, &state)
        if !state.isReadingList, state.shape == .nexthop {
            for target in delta.removed.nexthopTargets.subtracting(delta.added.nexthopTargets) {
                state.nexthopIDs.release(target)
            }
        }
        let (replaced, kept) = state.isReadingList ? removed.partitioned(byKeysOf: added) : (removed, .empty)
        let (sent, failures) = try send(Planner.groups(desired: added, observed: replaced), &state)
        if !failures.isEmpty || !kept.isEmpty, let table = state.table {
            let reached = replaced.afterApplying(desired: added, failed: failures.map(\.operation))
            state.applied = .known(kernelShaped(table.desired.datapath, &state).replacing(added, with: reached).union(kept))
        }
        return summary(sent: sent, failures, readKernel: false, &state, since: start)
    }

    /// Re-ensures the vxlan device, reads what this reconciler owns from the kernel (routes
    /// with its protocol; neighbours and FDB entries on its device), and repairs any drift
    /// from the last peer list: an entry deleted or changed by hand comes back, one added with
    /// its protocol goes. Until a first list is complete it only reads (on a fresh node it adds
    /// what the pages so far want). Throws as `reconcile(peers:)`.
    @discardableResult
    public func resync() throws -> ReconcileSummary {
        try state.withLock { state in
            let start = ContinuousClock.now
            try prepareDevice(&state)
            state.applied = .unknown
            return try converge(&state, since: start)
        }
    }

    /// The peers of the last list and changes given, ordered by name; nil before the first.
    public var peers: [ClusterNode]? {
        state.withLock { state in state.table.map { $0.nodes.values.sorted { $0.name < $1.name } } }
    }

    /// True while `peers` are the pages read so far of a first list (`reconcile(listPage:)`).
    public var isReadingList: Bool {
        state.withLock { $0.isReadingList }
    }

    /// How vxlan routes are programmed: `nil` before the first pass asked the kernel.
    public var routeShape: RouteShape? {
        state.withLock { $0.shape }
    }

    /// The peers left out of the desired state, and why (nil before the first list).
    public var skipped: [SkippedPeer]? {
        state.withLock { $0.table?.desired.skipped }
    }

    /// The writes a resync would make now, without making them (for `cnictl diagnose`): empty
    /// when the kernel matches the last peer list, or before the first `reconcile(peers:)`.
    public func drift() throws -> [DatapathOperation] {
        try state.withLock { state in
            guard let table = state.table else { return [] }
            let desired = kernelShaped(table.desired.datapath, &state)
            let observed = try observe(state)
            // While a list is read, entries of peers not listed yet are no drift.
            return Planner.plan(desired: desired, observed: state.isReadingList ? observed.partitioned(byKeysOf: desired).shared : observed)
        }
    }

    /// Ensures the vxlan device when the mode uses one; in direct mode only looks it up, so
    /// entries an earlier vxlan or hybrid run left on it are cleaned up. A device created or
    /// recreated (its entries gone with it) makes the kernel's state unknown.
    private func prepareDevice(_ state: inout State) throws {
        if state.shape == nil {
            let shape: RouteShape = try writer.supportsNexthops() ? .nexthop : .onlink
            if shape == .onlink {
                logger.warning("the kernel keeps no nexthop objects: programming plain onlink routes")
            } else {
                logger.info("routes refer to nexthop objects (ids \(config.nexthopIDs))")
            }
            state.shape = shape
        }
        let index: Int32?
        if config.usesVXLAN {
            let device = try VXLANDevice.ensure(config: config, handle: handle)
            index = device.link.index
            if device.created { state.applied = .unknown }
        } else {
            index = try handle.findLink(named: config.vxlan.deviceName)?.index
        }
        if index != state.vxlanLinkIndex {
            state.applied = .unknown
            if let peers = state.table.map({ Array($0.nodes.values) }) {
                state.table = PeerTable(config: config, vxlanLinkIndex: index, peers: peers)
            }
        }
        state.vxlanLinkIndex = index
        state.devicePrepared = true
    }

    /// A full pass: read the kernel when its state is unknown, plan the whole difference,
    /// apply, remember.
    private func converge(_ state: inout State, since start: ContinuousClock.Instant) throws -> ReconcileSummary {
        let observed: DatapathState
        let readKernel: Bool
        switch state.applied {
        case .unknown:
            (observed, readKernel) = (try observe(state), true)
            for nexthop in observed.nexthops { state.nexthopIDs.adopt(nexthop) }
        case .known(let known): (observed, readKernel) = (known, false)
        case .desired: (observed, readKernel) = (kernelShaped(state.table?.desired.datapath ?? .empty, &state), false)
        }
        state.applied = .known(observed)
        // While a list is read, a full pass runs only over a kernel holding nothing of ours (a
        // fresh node: it adds); otherwise it would compare the whole table once a page, so it
        // runs once, when the list is complete.
        guard let table = state.table, !state.isReadingList || observed.isEmpty else {
            return summary(sent: 0, [], readKernel: readKernel, &state, since: start)
        }
        let desired = kernelShaped(table.desired.datapath, &state)
        if state.shape == .nexthop { state.nexthopIDs.retain(only: table.desired.datapath.nexthopTargets) }
        let (sent, failures) = try send(Planner.groups(desired: desired, observed: observed), &state)
        if !failures.isEmpty {
            state.applied = .known(observed.afterApplying(desired: desired, failed: failures.map(\.operation)))
        }
        return summary(sent: sent, failures, readKernel: readKernel, &state, since: start)
    }

    /// Sends the plan, one group at a time (each built only when its turn comes); afterwards
    /// the kernel holds the desired state except for the returned refusals (a delete of an
    /// entry already gone is no refusal). A transport failure leaves the kernel's state unknown
    /// and is rethrown. Returns how many operations were sent.
    private func send(_ plan: [() -> [DatapathOperation]], _ state: inout State) throws -> (sent: Int, failures: [DatapathFailure]) {
        var sent = 0
        var failures: [DatapathFailure] = []
        do {
            for group in plan {
                let operations = group()
                guard !operations.isEmpty else { continue }
                sent += operations.count
                failures += try writer.write(operations).filter { !Self.isAlreadyDone($0) }
            }
        } catch {
            state.applied = .unknown
            throw error
        }
        state.applied = .desired
        report(failures, &state)
        return (sent, failures)
    }

    /// The summary of a pass that sent `sent` operations and saw `failures`; logs new skips.
    private func summary(sent: Int, _ failures: [DatapathFailure], readKernel: Bool,
                         _ state: inout State, since start: ContinuousClock.Instant) -> ReconcileSummary {
        let desired = state.table?.desired
        report(desired?.skipped ?? [], &state)
        return ReconcileSummary(applied: sent - failures.count, failures: failures, skipped: desired?.skipped ?? [],
                                desiredEntries: desired?.datapath.count ?? 0, observedKernel: readKernel,
                                duration: ContinuousClock.now - start, routeShape: state.shape)
    }

    /// What the kernel holds that this reconciler owns (its nexthops only in the nexthop shape:
    /// a kernel without them cannot be asked).
    private func observe(_ state: State) throws -> DatapathState {
        try DatapathState.observe(handle: handle, routeProtocol: config.routeProtocol,
                                  nexthopIDs: state.shape == .nexthop ? config.nexthopIDs : nil,
                                  vxlanLinkIndex: state.vxlanLinkIndex)
    }

    /// `datapath` (in the onlink shape, as desired states are) as this reconciler programs it:
    /// moved into the nexthop shape when the kernel keeps nexthops, assigning ids to new gateways.
    private func kernelShaped(_ datapath: DatapathState, _ state: inout State) -> DatapathState {
        guard state.shape == .nexthop else { return datapath }
        return datapath.movingGateways(into: &state.nexthopIDs, protocol: config.routeProtocol)
    }

    /// A delete refused because the entry is already gone reached its goal.
    private static func isAlreadyDone(_ failure: DatapathFailure) -> Bool {
        switch failure.operation {
        case .deleteRoute, .deleteNeighbor, .deleteFDB, .deleteNexthop: failure.error.isNotFound
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
        }
    }
}
