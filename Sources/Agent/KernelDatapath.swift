import AgentAPI
import Cluster
import IPAM
import Logging
import NetworkModel
import Netlink
import Overlay
import Synchronization

/// `NodeDatapath` on the node's kernel, through one `NetlinkHandle` bound to the node's network
/// namespace and `nft`. Owns, and keeps level-triggered (every resync re-reads and repairs):
/// the vxlan device and its settings, the peers' routes, neighbours and FDB entries (through
/// `Reconciler`), the `inet trellis` masquerade table (or its absence with `--masquerade
/// false`), the forwarding sysctls, `node.json`, and the underlay MTU pods are given.
///
/// Why this is tricky:
/// - The overlay's configuration is not fixed for the agent's life: the slice can change (an
///   etcd lease re-acquired after it expired) and so can the underlay MTU. Either makes a new
///   `Reconciler` for the new configuration, handed the peers the old one had; its first pass
///   reads the kernel and moves it, withdrawing what belonged to the old configuration.
/// - The masquerade table is compared with the kernel's own listing of it taken right after it
///   was loaded: any flush or edit since shows as a difference and the table is loaded again,
///   atomically. `nft` runs once per resync when nothing changed.
/// - `/proc/sys` is read-only in an unprivileged pod: forwarding that cannot be set is a
///   warning (the plugin sets it on the host at the first ADD), not a failure.
public final class KernelDatapath: NodeDatapath {
    private let config: AgentConfig
    private let handle: NetlinkHandle
    private let masquerade: Masquerade
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var underlay: UnderlayLink
        /// This node as peers see it; no slices until `adopt`.
        var local: ClusterNode
        /// The reconciler for the current configuration, once adopted.
        var reconciler: Reconciler?
        /// `nft list table inet trellis` right after the agent loaded it.
        var loadedMasquerade: String?
    }

    /// A datapath for `config` over `handle` (the node's namespace); reads the underlay.
    /// Throws `OverlayError` or the `NetlinkError` of a missing interface.
    public init(config: AgentConfig, handle: NetlinkHandle, masquerade: Masquerade? = nil, logger: Logger) throws {
        self.config = config
        self.handle = handle
        self.masquerade = masquerade ?? Masquerade(clusterCIDRs: config.clusterCIDRs)
        self.logger = logger
        let underlay = try Self.readUnderlay(config, handle)
        state = Mutex(State(underlay: underlay,
                            local: ClusterNode(name: config.nodeName, podCIDRs: [], publicIP: underlay.address.address,
                                               publicIPv6: Self.publishedIPv6(config, underlay),
                                               vtepMAC: VTEPMAC.forNode(config.nodeName).description, backend: config.mode),
                            reconciler: nil, loadedMasquerade: nil))
    }

    /// What this node publishes about itself.
    public var registration: NodeRegistration {
        state.withLock { NodeRegistration(name: config.nodeName, publicIP: $0.local.publicIP, publicIPv6: $0.local.publicIPv6,
                                          vtepMAC: VTEPMAC.forNode(config.nodeName).description, backend: config.mode) }
    }

    public func prepare() throws -> LocalState {
        try state.withLock { state in
            state.underlay = try Self.readUnderlay(config, handle)
            try ensureMasquerade(&state)
            if overlayConfig(state).usesVXLAN {
                _ = try VXLANDevice.ensure(config: overlayConfig(state), handle: handle, withAddresses: false)
            }
            return localState(state, warnings: ensureForwarding(state))
        }
    }

    public func adopt(_ local: ClusterNode) throws -> LocalState {
        try state.withLock { state in
            state.local.podCIDRs = local.podCIDRs
            try replaceReconciler(&state)
            try ensureNodeInfo(state)
            return localState(state, warnings: ensureForwarding(state))
        }
    }

    public func apply(_ changes: [PeerChange]) throws -> PassReport {
        try pass { try $0.reconcile(changes: changes) }
    }

    public func apply(listPage changes: [PeerChange]) throws -> PassReport {
        try pass { try $0.reconcile(listPage: changes) }
    }

    /// One pass of the current reconciler.
    private func pass(_ body: (Reconciler) throws -> ReconcileSummary) throws -> PassReport {
        try state.withLock { state in
            guard let reconciler = state.reconciler else { throw AgentError.notRegistered }
            return PassReport(summary: try body(reconciler), local: localState(state))
        }
    }

    public func resync() throws -> PassReport {
        try state.withLock { state in
            let underlay = try Self.readUnderlay(config, handle)
            if underlay != state.underlay {
                logger.notice("the underlay changed; new pods get the new MTU, running pods keep theirs until recreated",
                              metadata: ["interface": "\(underlay.name)", "mtu": "\(state.underlay.mtu) -> \(underlay.mtu)"])
                state.underlay = underlay
                try replaceReconciler(&state)
            }
            try ensureMasquerade(&state)
            let warnings = ensureForwarding(state)
            guard let reconciler = state.reconciler else { throw AgentError.notRegistered }
            try ensureNodeInfo(state)
            return PassReport(summary: try reconciler.resync(), local: localState(state, warnings: warnings))
        }
    }

    public func diagnose() -> [Finding] {
        state.withLock { state in
            var findings: [Finding] = []
            func check(_ name: String, _ body: () throws -> [String]) {
                do {
                    findings += try body().map { Finding(check: name, message: $0) }
                } catch {
                    findings.append(Finding(check: name, message: "cannot check: \(error)"))
                }
            }
            let overlay = overlayConfig(state)
            check("underlay") {
                let now = try Self.readUnderlay(config, handle)
                return now == state.underlay ? []
                    : ["\(now.name) has MTU \(now.mtu) and address \(now.address), the datapath uses \(state.underlay.mtu) and \(state.underlay.address) until the next resync"]
            }
            check("masquerade") { try masqueradeDrift(state) }
            check("forwarding") { forwardingFamilies(state).compactMap { key in
                let value = Sysctl.read(key)
                return value == "1" ? nil : "\(key.split(separator: "/").joined(separator: ".")) is \(value ?? "unreadable"), pods cannot be routed"
            } }
            guard let reconciler = state.reconciler else {
                findings.append(Finding(check: "agent", message: "not registered yet: no slice"))
                return findings
            }
            check("node.json") { try nodeInfoDrift(state) }
            if overlay.usesVXLAN { check("vxlan") { try VXLANDevice.differences(config: overlay, handle: handle) } }
            check("datapath") { try reconciler.drift().map { "needs `\(handle.describe($0))`" } }
            findings += (reconciler.skipped ?? []).filter { !$0.isRoutine }.map { Finding(check: "peer", message: "\($0)") }
            return findings
        }
    }

    // MARK: - The owned pieces

    /// The overlay configuration for the state's node and underlay.
    private func overlayConfig(_ state: State) -> OverlayConfig {
        OverlayConfig(mode: config.mode, localNode: state.local, underlay: state.underlay, vxlan: config.vxlan,
                      clusterCIDRs: config.clusterCIDRs)
    }

    private func localState(_ state: State, warnings: [String] = []) -> LocalState {
        LocalState(underlayInterface: state.underlay.name, underlayMTU: state.underlay.mtu,
                   podMTU: overlayConfig(state).podMTU, publicIP: state.local.publicIP,
                   underlayAddresses: state.underlay.addresses, warnings: warnings)
    }

    /// A reconciler for the current configuration, carrying over the old one's peers (its
    /// first pass reads the kernel and converges, withdrawing what the old configuration had;
    /// while a first list is being read, the peers read so far, withdrawing nothing yet).
    private func replaceReconciler(_ state: inout State) throws {
        let old = state.reconciler
        let reconciler = Reconciler(config: overlayConfig(state), handle: handle, logger: logger)
        state.reconciler = reconciler
        guard let old, let peers = old.peers else {
            try reconciler.resync()
            return
        }
        if old.isReadingList {
            try reconciler.reconcile(listPage: peers.map { PeerChange(name: $0.name, node: $0) })
        } else {
            try reconciler.reconcile(peers: peers)
        }
    }

    /// The node record the plugin reads, as it should be now.
    private func nodeInfo(_ state: State) -> NodeInfo {
        NodeInfo(nodeName: config.nodeName, podCIDRs: state.local.podCIDRs, clusterCIDRs: config.clusterCIDRs,
                 mtu: overlayConfig(state).podMTU, mode: config.mode, metricsAddress: config.metricsAddress.description)
    }

    private func ensureNodeInfo(_ state: State) throws {
        let wanted = nodeInfo(state)
        guard (try? NodeInfo.load(runDir: config.runDir)) != wanted else { return }
        try wanted.write(to: config.runDir)
        logger.info("wrote node.json", metadata: ["podCIDRs": "\(wanted.podCIDRs)", "mtu": "\(wanted.mtu)"])
    }

    private func nodeInfoDrift(_ state: State) throws -> [String] {
        let path = NodeInfo.path(runDir: config.runDir)
        let current: NodeInfo
        do { current = try NodeInfo.load(runDir: config.runDir) } catch { return ["\(error)"] }
        return current == nodeInfo(state) ? [] : ["\(path) differs from this node's slice, MTU or mode"]
    }

    /// Loads the masquerade table when the kernel's differs from what was loaded last (or
    /// removes a table left from before with `--masquerade false`).
    /// The first call in a process loads the table without looking (one atomic replace), later
    /// ones only list it: one `nft` run per resync when nothing changed.
    private func ensureMasquerade(_ state: inout State) throws {
        guard config.masquerade else {
            // Without nft there is no table to remove: a node with --masquerade false needs no nft.
            if (try? masquerade.listing()) ?? nil != nil {
                try masquerade.remove()
                logger.notice("removed the masquerade table \(MasqueradeRuleset.table) (--masquerade false)")
            }
            return
        }
        if let loaded = state.loadedMasquerade {
            let current = try masquerade.listing()
            guard current != loaded else { return }
            logger.warning("the masquerade table \(MasqueradeRuleset.table) was \(current == nil ? "deleted" : "changed"); loading it again")
        }
        try masquerade.apply()
        state.loadedMasquerade = try masquerade.listing()
    }

    private func masqueradeDrift(_ state: State) throws -> [String] {
        if !config.masquerade {
            return (try? masquerade.listing()) ?? nil == nil ? [] : ["the table \(MasqueradeRuleset.table) exists although --masquerade is false"]
        }
        let current = try masquerade.listing()
        if current == nil { return ["the nftables table \(MasqueradeRuleset.table) is missing"] }
        return current == state.loadedMasquerade ? [] : ["the nftables table \(MasqueradeRuleset.table) differs from what the agent loaded"]
    }

    /// The forwarding keys for the families the cluster has.
    private func forwardingFamilies(_ state: State) -> [String] {
        Set(config.clusterCIDRs.map(\.family)).sorted { $0.rawValue < $1.rawValue }.map { Sysctl.forwardingKey(ipv6: $0 == .v6) }
    }

    /// Turns forwarding on; returns what could not be (as warnings). Before IPv6 forwarding, the
    /// underlay's `accept_ra` goes from 1 to 2: a forwarding host ignores router advertisements
    /// at 1, and the node would lose an IPv6 default route learnt from them (0, set by the
    /// operator, stays).
    private func ensureForwarding(_ state: State) -> [String] {
        let acceptRA = "net/ipv6/conf/\(state.underlay.name)/accept_ra"
        var keys = forwardingFamilies(state)
        if keys.contains(Sysctl.forwardingKey(ipv6: true)), Sysctl.read(acceptRA) == "1" { keys.insert(acceptRA, at: 0) }
        return keys.compactMap { key in
            let value = key == acceptRA ? "2" : "1"
            do {
                if try Sysctl.ensure(key, value) { logger.info("set \(key) to \(value)") }
                return nil
            } catch {
                return key == acceptRA ? "\(error)" : "\(error); the plugin sets it on the host at the next pod ADD"
            }
        }
    }

    /// The IPv6 underlay address this node publishes: on a dual-stack cluster, the underlay's.
    private static func publishedIPv6(_ config: AgentConfig, _ underlay: UnderlayLink) -> IPAddress? {
        config.clusterCIDRs.contains { $0.family == .v6 } ? underlay.addressV6?.address : nil
    }

    /// The underlay with `--mtu` applied.
    private static func readUnderlay(_ config: AgentConfig, _ handle: NetlinkHandle) throws -> UnderlayLink {
        var underlay = try UnderlayLink.discover(named: config.underlayInterface, handle: handle)
        if let mtu = config.underlayMTU { underlay.mtu = mtu }
        return underlay
    }
}
