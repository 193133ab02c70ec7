import NetworkModel
import Netlink
import TestSupport
import Testing

/// A veth pair with both ends up inside one test namespace: a device with carrier to hang
/// addresses, routes and neighbours on.
struct UpLink {
    let handle: NetlinkHandle
    let link: Link

    init(in namespace: TestNamespace, name: String = "trlt0", peerName: String = "trlt0p") throws {
        handle = try NetlinkHandle(namespacePath: namespace.path)
        try handle.addVethPair(name: name, peerName: peerName)
        try handle.setUp(name)
        try handle.setUp(peerName)
        link = try handle.link(named: name)
    }
}

/// Parses test literals; a typo fails the test instead of crashing it.
func ip(_ text: String) throws -> IPAddress { try #require(IPAddress(text)) }
func prefix(_ text: String) throws -> IPPrefix { try #require(IPPrefix(text)) }
func mac(_ text: String) throws -> MACAddress { try #require(MACAddress(text)) }

/// The objects of `ip -j`/`bridge -j` output whose `key` equals `value`.
func entries(_ objects: [[String: Any]], where key: String, is value: String) -> [[String: Any]] {
    objects.filter { $0[key] as? String == value }
}
