import Cluster
import IPAM

/// The agent's validated configuration (from `trellisd run`'s flags).
struct AgentConfig: Sendable {
    enum DatastoreConfig: Sendable {
        case etcd(endpoints: [String], tls: EtcdTLSFiles)
        case kubernetes(kubeconfig: String?)
    }

    var nodeName: String
    var datastore: DatastoreConfig
    var clusterCIDR: IPPrefix
    var nodeSubnetSize: Int
    var mode: ClusterNode.Backend
    /// `nil`: the interface of the default route.
    var underlayInterface: String?
    var vxlanVNI: UInt32
    var vxlanPort: UInt16
    var runDir: String
    var masquerade: Bool
    /// `nil`: the underlay interface's MTU.
    var underlayMTU: Int?
    var metricsAddress: HostPort
    var resyncInterval: Duration
    var leaseTTL: Duration
}

/// `HOST:PORT` (IPv6 hosts in brackets).
struct HostPort: Sendable, CustomStringConvertible {
    var host: String
    var port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Durations as operators write them: `500ms`, `30s`, `5m`, `24h`.
enum DurationText {
    static func parse(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number >= 0 else { return nil }
            return .milliseconds(Int64(number * seconds * 1000))
        }
        return nil
    }
}
