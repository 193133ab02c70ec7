import Agent
import ArgumentParser
import Cluster
import FoundationEssentials
import IPAM
import Netlink
import Overlay
import Policy

/// `trellisd uninstall`: removes what `install-cni` and the agent created on this node, and
/// nothing else: the routes with Trellis's protocol, `trellis.vxlan` (with its neighbour and FDB
/// entries), the `inet trellis` and `inet trellis-policy` nftables tables, `node.json`, the plugin binary and its conflist,
/// and, given the etcd endpoints, this node's records in etcd. Pods' own veths belong to their
/// runtime and stay. Safe to run twice.
struct UninstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uninstall",
                                                    abstract: "Remove everything Trellis created on this node.")

    @Option(help: "This node's name (to withdraw its datastore records).")
    var nodeName: String?

    @Option(help: "etcd or kubernetes; with etcd and --etcd-endpoints the node's records are withdrawn.")
    var datastore: RunCommand.Datastore?

    @Option(help: "etcd client URLs, comma-separated.")
    var etcdEndpoints: String?

    @OptionGroup var etcdTLS: EtcdTLSOptions

    @Option(help: "Where the agent wrote node.json.")
    var runDir: String = "/run/trellis"

    @Option(help: "The CNI bin dir install-cni wrote to.")
    var binDir: String = "/opt/cni/bin"

    @Option(help: "The CNI conf dir install-cni wrote to.")
    var confDir: String = "/etc/cni/net.d"

    func run() async throws {
        var removed = try DatapathRemoval.remove(handle: NetlinkHandle())
        try Masquerade(clusterCIDRs: []).remove()
        removed.append("nftables table \(MasqueradeRuleset.table) (if present)")
        try PolicyTable().remove()
        removed.append("nftables table \(PolicyTransaction.table) (if present)")
        // A conflist of that name that install-cni did not write is the operator's: it stays.
        let conflist = "\(confDir)/\(InstallCNICommand.conflistName)"
        let foreign = FileManager.default.contents(atPath: conflist).map { !InstalledConflist.isInstalled($0) } ?? false
        if foreign { print("left \(conflist): install-cni did not write it") }
        for path in [NodeInfo.path(runDir: runDir), conflist, "\(binDir)/trellis"]
        where FileManager.default.fileExists(atPath: path) && !(path == conflist && foreign) {
            try FileManager.default.removeItem(atPath: path)
            removed.append(path)
        }
        if datastore == .etcd, let nodeName, let etcdEndpoints {
            let client = try EtcdClient(endpoints: etcdEndpoints.split(separator: ",").map(String.init), tls: etcdTLS.files)
            if try await client.withdrawNode(named: nodeName) { removed.append("etcd records of node \(nodeName)") }
        }
        removed.forEach { print("removed \($0)") }
    }
}
