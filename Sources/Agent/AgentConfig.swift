import Cluster
import NetworkModel
import Overlay

/// The agent's validated configuration (`trellisd run`'s flags).
public struct AgentConfig: Sendable {
    /// Where the agent learns the cluster's nodes.
    public enum DatastoreConfig: Sendable {
        case etcd(endpoints: [String], tls: EtcdTLSFiles = EtcdTLSFiles())
        case kubernetes(kubeconfig: String?)
    }

    public var nodeName: String
    public var datastore: DatastoreConfig
    /// The cluster's pod CIDRs (`--cluster-cidr`): slices are leased from them (etcd), and
    /// traffic inside them is never masqueraded.
    public var clusterCIDRs: [IPPrefix]
    /// The prefix length of a node's IPv4 slice (etcd).
    public var nodeSubnetSize: Int
    /// The prefix length of a node's IPv6 slice (etcd, dual-stack).
    public var nodeSubnetSizeV6: Int
    public var mode: DatapathMode
    /// `nil`: the interface of the default route.
    public var underlayInterface: String?
    public var vxlan: VXLANSettings
    public var runDir: String
    public var masquerade: Bool
    /// `nil`: the underlay interface's MTU, read again on every resync.
    public var underlayMTU: Int?
    public var metricsAddress: HostPort
    public var resyncInterval: Duration
    /// The TTL of the node's etcd lease.
    public var leaseTTL: Duration
    /// Enforce Kubernetes NetworkPolicy (`--network-policy`; Kubernetes datastore only).
    public var networkPolicy: Bool
    /// The plugin's `dataDir` (`--data-dir`): where the agent reads which pods are local.
    public var dataDir: String

    /// A configuration; every property as documented on the type.
    public init(nodeName: String, datastore: DatastoreConfig, clusterCIDRs: [IPPrefix], nodeSubnetSize: Int = 24,
                nodeSubnetSizeV6: Int = 64, mode: DatapathMode, underlayInterface: String? = nil, vxlan: VXLANSettings = VXLANSettings(),
                runDir: String = "/run/trellis", masquerade: Bool = true, underlayMTU: Int? = nil,
                metricsAddress: HostPort = HostPort("127.0.0.1:9469")!, resyncInterval: Duration = .seconds(30),
                leaseTTL: Duration = .seconds(24 * 3600), networkPolicy: Bool = false,
                dataDir: String = "/var/lib/cni/trellis") {
        self.nodeName = nodeName
        self.datastore = datastore
        self.clusterCIDRs = clusterCIDRs
        self.nodeSubnetSize = nodeSubnetSize
        self.nodeSubnetSizeV6 = nodeSubnetSizeV6
        self.mode = mode
        self.underlayInterface = underlayInterface
        self.vxlan = vxlan
        self.runDir = runDir
        self.masquerade = masquerade
        self.underlayMTU = underlayMTU
        self.metricsAddress = metricsAddress
        self.resyncInterval = resyncInterval
        self.leaseTTL = leaseTTL
        self.networkPolicy = networkPolicy
        self.dataDir = dataDir
    }
}

/// `HOST:PORT` (IPv6 hosts in brackets).
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// Parses `HOST:PORT`; nil without a port in 1...65535 or without a host.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
