import Cluster
import Logging
import Netlink
import Overlay
import Prometheus
import ServiceLifecycle

/// The running agent: the datapath service and the status server in one service group, stopped
/// by SIGTERM or SIGINT. Stopping removes nothing.
struct Agent {
    let config: AgentConfig

    func run() async throws {
        var logger = Logger(label: "trellisd")
        logger[metadataKey: "node"] = "\(config.nodeName)"
        let registry = PrometheusCollectorRegistry()
        let status = AgentStatus(nodeName: config.nodeName, mode: config.mode.rawValue)
        let handle = try NetlinkHandle()
        var underlay = try UnderlayLink.discover(named: config.underlayInterface, handle: handle)
        if let mtu = config.underlayMTU { underlay.mtu = mtu }
        let source = try makeSource(logger: logger)
        let datapath = DatapathService(config: config, underlay: underlay, source: source, handle: handle,
                                       status: status, metrics: AgentMetrics(registry: registry), logger: logger)
        let server = StatusServer(address: config.metricsAddress, status: status, registry: registry)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server), .init(service: datapath)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        logger.info("starting", metadata: ["mode": "\(config.mode.rawValue)", "underlay": "\(underlay.name) \(underlay.address)"])
        try await group.run()
        logger.info("stopped; the datapath stays as it is")
    }

    private func makeSource(logger: Logger) throws -> any NodeSource {
        switch config.datastore {
        case .etcd(let endpoints, let tls):
            return try EtcdNodeSource(endpoints: endpoints, tls: tls, clusterCIDR: config.clusterCIDR,
                                      nodeSubnetLength: config.nodeSubnetSize, leaseTTL: config.leaseTTL, logger: logger)
        case .kubernetes(let kubeconfig):
            let clientConfig = try kubeconfig.map { path throws in try KubeClientConfig.kubeconfig(path: path) }
                ?? KubeClientConfig.inCluster()
            return KubernetesNodeSource(client: try KubeClient(config: clientConfig), logger: logger)
        }
    }
}

extension StatusServer: Service {}
