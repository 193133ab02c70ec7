import Cluster
import Foundation
import IPAM
import Logging
import Netlink
import Overlay
import ServiceLifecycle

/// Registers this node, writes `node.json` for the plugin, installs the masquerade rules, then
/// keeps the datapath in step with the cluster: a reconcile on every complete node list from
/// the datastore and a resync against the kernel every `resyncInterval` (level-triggered: drift
/// such as a route deleted by hand is repaired on the next resync).
///
/// Nothing is withdrawn before the first complete list, nor while the datastore is away: the
/// last known good datapath stays. Graceful shutdown stops the loop and removes nothing.
struct DatapathService: Service {
    let config: AgentConfig
    let underlay: UnderlayLink
    let source: any NodeSource
    let handle: NetlinkHandle
    let status: AgentStatus
    let metrics: AgentMetrics
    let logger: Logger

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            let reconciler = try await prepare()
            try await loop(reconciler)
        }
    }

    /// Registration, node.json and masquerade: everything before the first list.
    private func prepare() async throws -> Reconciler {
        let vtepMAC = VTEPMAC.forNode(config.nodeName)
        let local = try await source.register(NodeRegistration(
            name: config.nodeName, publicIP: underlay.address.address, vtepMAC: vtepMAC.description, backend: config.mode))
        let overlay = OverlayConfig(mode: config.mode, localNode: local, underlay: underlay,
                                    vxlan: VXLANSettings(vni: config.vxlanVNI, port: config.vxlanPort),
                                    clusterCIDRs: [config.clusterCIDR])
        logger.info("registered", metadata: ["podCIDRs": "\(local.podCIDRs.map(\.description))", "vtepMAC": "\(vtepMAC)"])
        try NodeInfo(nodeName: config.nodeName, podCIDRs: local.podCIDRs, clusterCIDRs: [config.clusterCIDR],
                     mtu: overlay.podMTU, mode: config.mode, metricsAddress: config.metricsAddress.description)
            .write(to: config.runDir)
        if config.masquerade {
            try Masquerade(clusterCIDRs: [config.clusterCIDR]).apply()
        }
        await status.update { report in
            report.phase = .syncing
            report.podCIDRs = local.podCIDRs.map(\.description)
            report.publicIP = local.publicIP.description
            report.vtepMAC = overlay.usesVXLAN ? vtepMAC.description : nil
            report.underlayInterface = underlay.name
            report.vxlanVNI = overlay.vxlan.vni
            report.vxlanPort = overlay.vxlan.port
            report.masquerade = config.masquerade
        }
        return Reconciler(config: overlay, handle: handle, logger: logger)
    }

    /// What wakes the loop.
    private enum Trigger: Sendable {
        case source(NodeSourceEvent)
        case resync
    }

    private func loop(_ reconciler: Reconciler) async throws {
        let (triggers, continuation) = AsyncStream.makeStream(of: Trigger.self, bufferingPolicy: .bufferingNewest(8))
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                for await event in source.watchNodes() { continuation.yield(.source(event)) }
                continuation.finish()
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: config.resyncInterval)
                    continuation.yield(.resync)
                }
            }
            for await trigger in triggers {
                await handle(trigger, reconciler)
            }
            group.cancelAll()
        }
    }

    private func handle(_ trigger: Trigger, _ reconciler: Reconciler) async {
        switch trigger {
        case .source(.nodes(let nodes)):
            metrics.datastoreUp.set(Int64(1))
            let peers = nodes.filter { $0.name != config.nodeName }
            metrics.peers.set(Int64(peers.count))
            await apply("event") { try reconciler.reconcile(peers: peers) }
            await status.update { $0.peers = peers; $0.lastSync = Date() }
        case .source(.unavailable(let reason)):
            metrics.datastoreUp.set(Int64(0))
            logger.warning("datastore unavailable; keeping the datapath as it is", metadata: ["reason": "\(reason)"])
            await status.record(error: "datastore unavailable: \(reason)")
            await status.update { $0.phase = .datastoreUnavailable }
        case .resync:
            await apply("resync") { try reconciler.resync() }
            await status.update { $0.lastResync = Date() }
        }
    }

    /// Runs one pass, logs and counts it, and sets the phase: ready when converged.
    private func apply(_ trigger: String, _ pass: () throws -> ReconcileSummary) async {
        metrics.reconciles(trigger).increment()
        do {
            let summary = try pass()
            metrics.reconcileDuration.recordNanoseconds(summary.duration.nanoseconds)
            metrics.appliedOperations.increment(by: Int64(summary.applied))
            metrics.failedOperations.increment(by: Int64(summary.failed))
            if summary.applied > 0 || !summary.isConverged {
                logger.info("\(trigger): \(summary)")
            }
            for failure in summary.failures {
                await status.record(error: "\(failure)")
            }
            let converged = summary.isConverged
            await status.update { report in
                if report.phase != .registering { report.phase = converged ? .ready : .syncing }
            }
            if converged, await !status.announced {
                await announceNetworkAvailable()
            }
        } catch {
            logger.error("\(trigger) failed; retrying on the next event or resync", metadata: ["error": "\(error)"])
            await status.record(error: "\(trigger): \(error)")
        }
    }
}

extension DatapathService {
    /// Tells the datastore this node is wired, once; a failure is retried after the next pass.
    private func announceNetworkAvailable() async {
        do {
            try await source.announceNetworkAvailable(nodeName: config.nodeName)
            await status.markAnnounced()
        } catch {
            logger.warning("cannot mark this node's network available; retrying after the next pass",
                           metadata: ["error": "\(error)"])
            await status.record(error: "announce network available: \(error)")
        }
    }
}

extension Duration {
    /// The duration in whole nanoseconds.
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
