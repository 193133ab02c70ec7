import Cluster
import Logging
import Netlink
import NetworkModel
import Overlay
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
        let server = try await StatusServer(address: config.metricsAddress, status: status, registry: registry, datapath: datapath)
        await status.describe { report in
            report.vtepMAC = config.mode == .direct ? nil : datapath.registration.vtepMAC
            report.vxlanVNI = config.vxlan.vni
            report.vxlanPort = config.vxlan.port
            report.masquerade = config.masquerade
        }
        let agent = NodeAgent(registration: datapath.registration, resyncInterval: config.resyncInterval,
                              source: try makeSource(config, logger: logger), datapath: datapath, status: status,
                              metrics: AgentMetrics(registry: registry), logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server), .init(service: agent)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        logger.info("starting", metadata: ["mode": "\(config.mode.rawValue)", "metrics": "\(config.metricsAddress)"])
        try await group.run()
        logger.info("stopped; the datapath stays as it is")
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
