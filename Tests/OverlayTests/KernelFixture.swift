import NetworkModel
import Netlink
import Overlay
import Synchronization
import TestSupport

/// A node's namespace for kernel tests: underlay veth `under0` (198.18.0.1/24, up; its peer
/// `under1` up too), a handle bound to the namespace, and `node-1`'s configuration over it.
/// Peers are `Fixture.node(N)`: on the underlay's subnet, so direct routes are accepted.
struct KernelNode {
    let namespace: TestNamespace
    let handle: NetlinkHandle
    let underlay: UnderlayLink

    /// Runs `body` with a fresh node namespace (underlay address `underlay`), removed afterwards also when `body` throws.
    static func with<T>(underlay: String = "198.18.0.1/24", _ body: (KernelNode) throws -> T) throws -> T {
        try withTestNamespace { namespace throws in
            try namespace.exec(["ip", "-batch", "-"], input: """
                link add under0 type veth peer name under1
                addr add \(underlay) dev under0
                link set under0 up
                link set under1 up
                """)
            let handle = try NetlinkHandle(namespacePath: namespace.path)
            let underlay = try UnderlayLink.discover(named: "under0", handle: handle)
            return try body(KernelNode(namespace: namespace, handle: handle, underlay: underlay))
        }
    }

    func config(_ mode: ClusterNode.Backend, local: ClusterNode = Fixture.local) -> OverlayConfig {
        OverlayConfig(mode: mode, localNode: local, underlay: underlay, clusterCIDRs: [Fixture.prefix("10.244.0.0/16")])
    }

    func reconciler(_ mode: ClusterNode.Backend, writer: (any DatapathWriter)? = nil) -> Reconciler {
        Reconciler(config: config(mode), handle: handle, writer: writer)
    }

    /// `ip route show proto 126` (both families) as `"DST via GW dev DEV[ onlink]"` lines.
    func trellisRoutes() throws -> Set<String> {
        let routes = try namespace.json(["ip", "-j", "-4", "route", "show", "proto", "126"])
            + namespace.json(["ip", "-j", "-6", "route", "show", "proto", "126"])
        return Set(routes.map { route in
            let onlink = (route["flags"] as? [String] ?? []).contains("onlink") ? " onlink" : ""
            return "\(route["dst"] ?? "?") via \(route["gateway"] ?? "-") dev \(route["dev"] ?? "?")\(onlink)"
        })
    }

    /// `ip nexthop show proto 126` as `"id N via GW dev DEV[ onlink]"` lines.
    func trellisNexthops() throws -> Set<String> {
        Set(try namespace.json(["ip", "-j", "nexthop", "show", "proto", "126"]).map { nexthop in
            let onlink = (nexthop["flags"] as? [String] ?? []).contains("onlink") ? " onlink" : ""
            return "id \(nexthop["id"] ?? "?") via \(nexthop["gateway"] ?? "-") dev \(nexthop["dev"] ?? "?")\(onlink)"
        })
    }

    /// The nexthop id each route with proto 126 refers to, by destination (`nil`: a plain route).
    func trellisRouteNexthopIDs() throws -> [String: Int?] {
        let routes = try namespace.json(["ip", "-j", "-4", "route", "show", "proto", "126"])
            + namespace.json(["ip", "-j", "-6", "route", "show", "proto", "126"])
        return Dictionary(uniqueKeysWithValues: routes.map { ("\($0["dst"] ?? "?")", $0["nhid"] as? Int) })
    }

    /// `ip neigh show dev trellis.vxlan` as `"DST lladdr MAC STATE"` lines.
    func vxlanNeighbors() throws -> Set<String> {
        Set(try namespace.json(["ip", "-j", "neigh", "show", "dev", "trellis.vxlan"]).map { entry in
            "\(entry["dst"] ?? "?") lladdr \(entry["lladdr"] ?? "?") \((entry["state"] as? [String] ?? []).joined(separator: ","))"
        })
    }

    /// `bridge fdb show dev trellis.vxlan` as `"MAC dst IP"` lines (entries with a `dst`).
    func vxlanFDB() throws -> Set<String> {
        Set(try namespace.json(["bridge", "-j", "fdb", "show", "dev", "trellis.vxlan"]).compactMap { entry in
            entry["dst"].map { "\(entry["mac"] ?? "?") dst \($0)" }
        })
    }
}

/// The kernel lines a vxlan peer should produce (its first slice).
func vxlanLines(_ peer: ClusterNode) -> (route: String, neighbor: String, fdb: String) {
    let cidr = peer.podCIDRs[0]
    return ("\(cidr) via \(cidr.address) dev trellis.vxlan onlink",
            "\(cidr.address) lladdr \(peer.vtepMAC!) PERMANENT",
            "\(peer.vtepMAC!) dst \(peer.publicIP)")
}

/// A writer that counts what passes through to the kernel.
final class CountingWriter: DatapathWriter {
    let handle: NetlinkHandle
    private let count = Mutex(0)

    init(_ handle: NetlinkHandle) { self.handle = handle }

    var writes: Int { count.withLock { $0 } }

    func write(_ operations: [DatapathOperation]) throws -> [DatapathFailure] {
        count.withLock { $0 += operations.count }
        return try handle.write(operations)
    }

    func supportsNexthops() throws -> Bool { try handle.supportsNexthops() }
}
