import Agent
import Cluster
import ArgumentParser
import FoundationEssentials
import IPAM
import NetworkModel
import Overlay

/// `trellisd run`: validates every flag before touching anything, then runs the agent until
/// SIGTERM/SIGINT. Stopping removes nothing: routes, VXLAN entries, nftables rules and the
/// datastore records stay, so pods keep talking through an upgrade.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the node agent.")

    @Option(help: "This node's name (env TRELLIS_NODE_NAME or NODE_NAME).")
    var nodeName: String

    @Option(help: "Where nodes are learned: etcd or kubernetes.")
    var datastore: Datastore

    @Option(help: "etcd client URLs, comma-separated.")
    var etcdEndpoints: String?

    @OptionGroup var etcdTLS: EtcdTLSOptions

    @Option(help: "Kubeconfig file (else the in-cluster service account).")
    var kubeconfig: String?

    @Option(help: "The cluster's pod CIDRs, one per family, e.g. 10.244.0.0/16 or 10.244.0.0/16,fd00:10:244::/56.")
    var clusterCidr: String

    @Option(help: "Prefix length of each node's IPv4 slice (etcd datastore).")
    var nodeSubnetSize: Int = 24

    @Option(help: "Prefix length of each node's IPv6 slice (etcd datastore, dual-stack).")
    var nodeSubnetSizeV6: Int = 64

    @Option(help: "vxlan, direct or hybrid.")
    var mode: DatapathMode

    @Option(help: "Underlay interface (default: the interface of the default route).")
    var iface: String?

    @Option(help: "VXLAN network identifier.")
    var vxlanVni: UInt32 = 1

    @Option(help: "VXLAN UDP port.")
    var vxlanPort: UInt16 = 8472

    @Option(help: "Where node.json is written for the plugin.")
    var runDir: String = "/run/trellis"

    @Option(help: "Masquerade pod traffic leaving the cluster CIDR: true or false.")
    var masquerade: Bool = true

    @Option(help: "Underlay MTU to derive the pod MTU from (default: the underlay interface's).")
    var mtu: Int?

    @Option(help: "HOST:PORT serving /metrics, /healthz, /readyz and /status.")
    var metricsAddr: String = "127.0.0.1:9469"

    @Option(help: "Period of the full resync against the kernel, e.g. 30s, 5m.")
    var resyncInterval: String = "30s"

    @Option(help: "TTL of this node's etcd lease, e.g. 24h.")
    var leaseTtl: String = "24h"

    @Option(help: "Enforce Kubernetes NetworkPolicy: true or false (default: true with --datastore kubernetes).")
    var networkPolicy: Bool?

    @Option(help: "The plugin's dataDir, where the agent learns which pods run here (NetworkPolicy).")
    var dataDir: String = DiskStore.defaultDataDir

    func validate() throws {
        _ = try agentConfig()
    }

    func run() async throws {
        let config = try agentConfig()
        try await AgentRuntime.run(config)
    }

    /// The flags as one validated value; every error names the flag and what is wrong.
    func agentConfig() throws -> AgentConfig {
        let clusterCIDRs = try Self.clusterCIDRs(clusterCidr)
        for cidr in clusterCIDRs {
            let (flag, size) = cidr.family == .v4 ? ("--node-subnet-size", nodeSubnetSize) : ("--node-subnet-size-v6", nodeSubnetSizeV6)
            guard size > cidr.length, size <= cidr.family.bitWidth - 2 else {
                throw ValidationError("\(flag) \(size) does not fit in \(cidr): it must be longer than /\(cidr.length) and at most /\(cidr.family.bitWidth - 2)")
            }
        }
        guard let resync = DurationText.parse(resyncInterval), resync > .zero else {
            throw ValidationError("--resync-interval \(resyncInterval) is not a duration like 30s, 5m or 1h")
        }
        guard let leaseTTL = DurationText.parse(leaseTtl), leaseTTL >= .seconds(10) else {
            throw ValidationError("--lease-ttl \(leaseTtl) is not a duration of at least 10s")
        }
        guard let metrics = HostPort(metricsAddr) else {
            throw ValidationError("--metrics-addr \(metricsAddr) is not HOST:PORT")
        }
        if let mtu, !(1280...65535).contains(mtu) {
            throw ValidationError("--mtu \(mtu) is outside 1280...65535")
        }
        if datastore == .etcd, networkPolicy == true {
            throw ValidationError("--network-policy true needs --datastore kubernetes: NetworkPolicy objects live in the Kubernetes API")
        }
        guard dataDir.hasPrefix("/") else {
            throw ValidationError("--data-dir \(dataDir) is not an absolute path")
        }
        let datastoreConfig: AgentConfig.DatastoreConfig
        switch datastore {
        case .etcd:
            let endpoints = (etcdEndpoints ?? "").split(separator: ",").map { String($0.filter { $0 != " " }) }
            guard !endpoints.isEmpty, endpoints.allSatisfy({ URL(string: $0)?.host != nil }) else {
                throw ValidationError("--datastore etcd needs --etcd-endpoints URL[,URL...] (e.g. http://10.0.0.1:2379)")
            }
            datastoreConfig = .etcd(endpoints: endpoints, tls: etcdTLS.files)
        case .kubernetes:
            datastoreConfig = .kubernetes(kubeconfig: kubeconfig)
        }
        return AgentConfig(nodeName: nodeName, datastore: datastoreConfig, clusterCIDRs: clusterCIDRs,
                           nodeSubnetSize: nodeSubnetSize, nodeSubnetSizeV6: nodeSubnetSizeV6, mode: mode, underlayInterface: iface,
                           vxlan: VXLANSettings(vni: vxlanVni, port: vxlanPort), runDir: runDir, masquerade: masquerade,
                           underlayMTU: mtu, metricsAddress: metrics, resyncInterval: resync, leaseTTL: leaseTTL,
                           networkPolicy: networkPolicy ?? (datastore == .kubernetes), dataDir: dataDir)
    }

    /// `--cluster-cidr`'s networks: one or two, comma-separated, at most one per family.
    static func clusterCIDRs(_ text: String) throws -> [IPPrefix] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.filter { $0 != " " } }
        var cidrs: [IPPrefix] = []
        for part in parts {
            guard let cidr = IPPrefix(part), cidr.isNetwork else {
                throw ValidationError("--cluster-cidr \(text): \(part.isEmpty ? "an empty entry" : part) is not a network in CIDR notation (e.g. 10.244.0.0/16,fd00:10:244::/56)")
            }
            guard !cidrs.contains(where: { $0.family == cidr.family }) else {
                throw ValidationError("--cluster-cidr \(text) has two \(cidr.family == .v4 ? "IPv4" : "IPv6") networks: give at most one per family")
            }
            cidrs.append(cidr)
        }
        return cidrs
    }

    enum Datastore: String, ExpressibleByArgument, CaseIterable {
        case etcd, kubernetes
    }
}

extension DatapathMode: ExpressibleByArgument {}

/// `--etcd-cafile`, `--etcd-certfile`, `--etcd-keyfile`: TLS to etcd, shared by `run` and
/// `uninstall` (kubeadm's etcd: `/etc/kubernetes/pki/etcd/ca.crt` and a client pair it signed).
struct EtcdTLSOptions: ParsableArguments {
    @Option(help: "CA bundle (PEM) that etcd's server certificates chain to (https endpoints).")
    var etcdCafile: String?

    @Option(help: "Client certificate (PEM) for an etcd with --client-cert-auth.")
    var etcdCertfile: String?

    @Option(help: "Key (PEM) of --etcd-certfile.")
    var etcdKeyfile: String?

    var files: EtcdTLSFiles { EtcdTLSFiles(caFile: etcdCafile, certFile: etcdCertfile, keyFile: etcdKeyfile) }
}
