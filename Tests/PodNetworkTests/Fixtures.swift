import NetworkModel
import Foundation
import IPAM
import Netlink
import PodNetwork
import TestSupport

/// A node namespace and a pod namespace for kernel tests of `PodWiring`. The wiring runs on a
/// thread inside the node's namespace, never in the host's own.
struct PodFixture {
    let node: TestNamespace
    let pod: TestNamespace

    /// Runs `body` with fresh node and pod namespaces, removed afterwards also when it throws.
    /// The node has 198.18.0.10/32 on `lo`, the source of its pings.
    static func with<T>(_ body: (PodFixture) throws -> T) throws -> T {
        try withTestNamespaces(count: 2) { namespaces in
            try namespaces[0].exec(["ip", "addr", "add", "198.18.0.10/32", "dev", "lo"])
            return try body(PodFixture(node: namespaces[0], pod: namespaces[1]))
        }
    }

    /// The attachment `ifname` of container `id` in this fixture's pod, with `address`.
    func attachment(_ id: String = "c0ffee", ifname: String = "eth0", address: String = "10.244.1.5") -> PodAttachment {
        PodAttachment(containerID: id, interfaceName: ifname, namespacePath: pod.path,
                      addresses: [IPAddress(address)!], mtu: 1450)
    }

    /// Runs `body` (wiring, removal) on a thread in the node's namespace.
    func inNode<T: Sendable>(_ body: () throws -> T) throws -> T {
        try NetworkNamespace.run(at: node.path, body)
    }

    /// Names of the links in `namespace` other than `lo`.
    func links(in namespace: TestNamespace) throws -> [String] {
        try namespace.json(["ip", "-j", "link", "show"]).compactMap { $0["ifname"] as? String }.filter { $0 != "lo" }.sorted()
    }

    /// The node's routes to `address` (as `ip route show ADDRESS` lists them).
    func nodeRoutes(to address: String) throws -> [[String: Any]] {
        try node.json(["ip", "-j", "route", "show", address])
    }

    /// True when one ICMP echo from the node to `address` is answered within a second.
    func nodeCanPing(_ address: String) -> Bool {
        (try? node.exec(["ping", "-c", "1", "-W", "1", address])) != nil
    }
}

/// The fault a test injects after a wiring step.
struct InjectedFault: Error, Equatable {
    let step: WiringStep
}
