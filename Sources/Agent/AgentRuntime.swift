import Cluster
import KubePolicy
import Logging
import Netlink
import NetworkModel
import Overlay
import Policy
import Prometheus
import ServiceLifecycle

/// The running agent: `NodeAgent` and the status server in one service group, stopped by
/// SIGTERM or SIGINT. Stopping removes nothing.
public enum AgentRuntime {
    /// Runs the agent for `config` until SIGTERM or SIGINT; returns normally then. Throws at
    /// startup for what retrying cannot fix (the metrics address taken, no underlay, a bad
    /// kubeconfig), and later for an error the datastore says is final.
    public static func run(_ config: AgentConfig) async throws {
        var logger = Logger(label: "trellisd")
        logger[metadataKey: "node"] = "\(config.nodeName)"
        let registry = PrometheusCollectorRegistry()
        let status = AgentStatus(nodeName: config.nodeName, mode: config.mode)
        let datapath = try KernelDatapath(config: config, handle: try NetlinkHandle(), logger: logger)
        let source = try makeSource(config, logger: logger)
        let policy = try makePolicy(config, source: source, status: status, registry: registry, logger: logger)
        let server = try await StatusServer(address: config.metricsAddress, status: status, registry: registry, datapath: datapath,
                                            policy: policy)
        await status.describe { report in
            report.vtepMAC = config.mode == .direct ? nil : datapath.registration.vtepMAC
            report.vxlanVNI = config.vxlan.vni
            report.vxlanPort = config.vxlan.port
            report.masquerade = config.masquerade
        }
        let agent = NodeAgent(registration: datapath.registration, resyncInterval: config.resyncInterval,
                              source: source, datapath: datapath, status: status,
                              metrics: AgentMetrics(registry: registry), logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server), .init(service: agent)] + (policy.map { [.init(service: $0)] } ?? []),
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        logger.info("starting", metadata: ["mode": "\(config.mode.rawValue)", "metrics": "\(config.metricsAddress)",
                                           "networkPolicy": "\(config.networkPolicy)"])
        try await group.run()
        logger.info("stopped; the datapath stays as it is")
    }

    /// The policy controller with `--network-policy true`; otherwise nil, after removing a
    /// policy table an earlier run left (a node without nft has none to remove).
    private static func makePolicy(_ config: AgentConfig, source: any NodeSource, status: AgentStatus,
                                   registry: PrometheusCollectorRegistry, logger: Logger) throws -> PolicyController? {
        guard config.networkPolicy, let kubernetes = source as? KubernetesNodeSource else {
            let table = PolicyTable()
            if (try? table.listing()) ?? nil != nil {
                try table.remove()
                logger.notice("removed the policy table \(PolicyTransaction.table) (--network-policy false)")
            }
            return nil
        }
        var policyLogger = logger
        policyLogger[metadataKey: "component"] = "policy"
        return PolicyController(watches: .kubernetes(kubernetes.client, logger: policyLogger),
                                endpoints: LocalEndpoints(dataDir: config.dataDir), table: PolicyTable(), status: status,
                                metrics: PolicyMetrics(registry: registry), resyncInterval: config.resyncInterval,
                                logger: policyLogger)
    }

    private static func makeSource(_ config: AgentConfig, logger: Logger) throws -> any NodeSource {
        switch config.datastore {
        case .etcd(let endpoints, let tls):
            return try EtcdNodeSource(endpoints: endpoints, tls: tls, clusterCIDRs: config.clusterCIDRs,
                                      nodeSubnetLength: config.nodeSubnetSize, nodeSubnetLengthV6: config.nodeSubnetSizeV6,
                                      leaseTTL: config.leaseTTL, logger: logger)
        case .kubernetes(let kubeconfig):
            let clientConfig = try kubeconfig.map { path throws in try KubeClientConfig.kubeconfig(path: path) }
                ?? KubeClientConfig.inCluster()
            return KubernetesNodeSource(client: try KubeClient(config: clientConfig), logger: logger)
        }
    }
}

extension StatusServer: Service {}
