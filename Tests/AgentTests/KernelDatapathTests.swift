import Agent
import AgentAPI
import Foundation
import IPAM
import Logging
import Netlink
import NetworkModel
import Overlay
import Testing
import TestSupport

/// `KernelDatapath` in a node namespace of its own: what the node owns is put in place before
/// registration, and a resync puts back whatever someone removed or changed.
@Suite(.serialized) struct KernelDatapathTests {
    /// A node namespace with underlay `ua` (198.18.7.1/24) and a datapath over it; every call
    /// runs on a thread inside the namespace (sysctls are per namespace).
    struct Node {
        let namespace: TestNamespace
        let runDir: String
        let datapath: KernelDatapath

        static func with(masquerade: Bool = true, _ body: (Node) throws -> Void) throws {
            try withTestNamespace { namespace in
                try addUnderlay(in: namespace)
                let runDir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-kd-\(UUID().uuidString)").path
                defer { try? FileManager.default.removeItem(atPath: runDir) }
                let config = AgentConfig(nodeName: "k1", datastore: .kubernetes(kubeconfig: nil),
                                         clusterCIDRs: [IPPrefix("10.244.0.0/16")!], mode: .vxlan, underlayInterface: "ua",
                                         runDir: runDir, masquerade: masquerade)
                let datapath = try KernelDatapath(config: config, handle: NetlinkHandle(namespacePath: namespace.path),
                                                  masquerade: Masquerade(clusterCIDRs: config.clusterCIDRs, namespacePath: namespace.path),
                                                  logger: Logger(label: "test"))
                try body(Node(namespace: namespace, runDir: runDir, datapath: datapath))
            }
        }

        /// The underlay `ua` (198.18.7.1/24), up, in `namespace`.
        static func addUnderlay(in namespace: TestNamespace) throws {
            try namespace.exec(["ip", "-batch", "-"], input: """
                link add ua type veth peer name ub
                addr add 198.18.7.1/24 dev ua
                link set ua up
                link set ub up
                """)
        }

        /// Runs `step` inside the namespace.
        func inside<T: Sendable>(_ step: () throws -> T) throws -> T {
            try NetworkNamespace.run(at: namespace.path, step)
        }

        func hasMasqueradeTable() -> Bool {
            (try? namespace.exec(["nft", "list", "table", "inet", "trellis"]))?.contains("masquerade") == true
        }

        func forwarding() throws -> String {
            try namespace.exec(["cat", "/proc/sys/net/ipv4/ip_forward"]).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func vxlan() throws -> [String: Any]? {
            try namespace.json(["ip", "-j", "-d", "link", "show"]).first { $0["ifname"] as? String == "trellis.vxlan" }
        }

        func nodeInfo() throws -> NodeInfo { try NodeInfo.load(runDir: runDir) }
    }

    static let local = ClusterNode(name: "k1", podCIDRs: [IPPrefix("10.244.3.0/24")!], publicIP: IPAddress("198.18.7.1")!)
    static let peer = ClusterNode(name: "k2", podCIDRs: [IPPrefix("10.244.4.0/24")!], publicIP: IPAddress("198.18.7.2")!,
                                  vtepMAC: "0a:58:00:00:00:02", backend: .vxlan)

    @Test("prepare puts the table, forwarding and the device in place before the node has a slice; adopt writes node.json and the VTEP address")
    func prepareThenAdopt() throws {
        try Node.with { node in
            _ = try node.namespace.exec(["sysctl", "-qw", "net.ipv4.ip_forward=0"])
            _ = try node.inside { try node.datapath.prepare() }
            #expect(node.hasMasqueradeTable())
            #expect(try node.forwarding() == "1")
            #expect(try node.vxlan() != nil)
            #expect(throws: IPAMError.self) { try node.nodeInfo() }

            let local = try node.inside { try node.datapath.adopt(Self.local) }
            #expect(local.podMTU == 1450 && local.underlayMTU == 1500)
            #expect(try node.nodeInfo().podCIDRs == Self.local.podCIDRs)
            let addresses = try node.namespace.exec(["ip", "-o", "-4", "addr", "show", "dev", "trellis.vxlan"])
            #expect(addresses.contains("10.244.3.0/32"))
        }
    }

    @Test("a resync puts back a flushed ruleset, a deleted device, node.json and forwarding, and follows the underlay's MTU; diagnose saw each first")
    func resyncRepairsEverythingOwned() throws {
        try Node.with { node in
            _ = try node.inside { try node.datapath.prepare() }
            _ = try node.inside { try node.datapath.adopt(Self.local) }
            _ = try node.inside { try node.datapath.apply([PeerChange(name: "k2", node: Self.peer)]) }
            #expect(try node.inside { node.datapath.diagnose() }.isEmpty)

            try node.namespace.exec(["nft", "flush", "ruleset"])
            try node.namespace.exec(["ip", "link", "del", "trellis.vxlan"])
            try FileManager.default.removeItem(atPath: NodeInfo.path(runDir: node.runDir))
            try node.namespace.exec(["sysctl", "-qw", "net.ipv4.ip_forward=0"])
            try node.namespace.exec(["ip", "link", "set", "ua", "mtu", "1400"])
            let checks = Set(try node.inside { node.datapath.diagnose() }.map(\.check))
            #expect(checks.isSuperset(of: ["masquerade", "vxlan", "node.json", "forwarding", "underlay", "datapath"]), "\(checks)")

            let report = try node.inside { try node.datapath.resync() }
            #expect(report.summary.isConverged)
            #expect(report.local.podMTU == 1350)
            #expect(node.hasMasqueradeTable())
            #expect(try node.forwarding() == "1")
            #expect(try node.vxlan()?["mtu"] as? Int == 1350)
            #expect(try node.nodeInfo().mtu == 1350)
            let routes = try node.namespace.exec(["ip", "route", "show", "proto", "126"])
            #expect(routes.contains("10.244.4.0/24 nhid ") && routes.contains(" via 10.244.4.0 dev trellis.vxlan onlink"),
                    "\(routes)")
            #expect(try node.inside { node.datapath.diagnose() }.isEmpty)
        }
    }

    @Test("an edited masquerade table is replaced at the next resync")
    func editedTableReplaced() throws {
        try Node.with { node in
            _ = try node.inside { try node.datapath.prepare() }
            try node.namespace.exec(["nft", "add", "rule", "inet", "trellis", "postrouting", "ip", "daddr", "1.2.3.4", "accept"])
            #expect(try node.inside { node.datapath.diagnose() }.contains { $0.check == "masquerade" })
            _ = try node.inside { try node.datapath.adopt(Self.local) }
            _ = try node.inside { try node.datapath.resync() }
            let table = try node.namespace.exec(["nft", "list", "table", "inet", "trellis"])
            #expect(!table.contains("1.2.3.4") && table.contains("masquerade"))
        }
    }

    @Test("--masquerade false removes a table left from before")
    func masqueradeFalseRemovesTable() throws {
        try Node.with { node in
            _ = try node.inside { try node.datapath.prepare() }
            #expect(node.hasMasqueradeTable())
        }
        try Node.with(masquerade: false) { node in
            try node.namespace.exec(["nft", "-f", "-"], input: MasqueradeRuleset.transaction(clusterCIDRs: [IPPrefix("10.244.0.0/16")!]))
            #expect(node.hasMasqueradeTable())
            _ = try node.inside { try node.datapath.prepare() }
            #expect(!node.hasMasqueradeTable())
        }
    }
}
