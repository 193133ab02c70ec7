import NetworkModel
import IPAM
import Netlink

/// Wires, and unwires, one pod with a routed veth pair (no bridge).
///
/// Why this is tricky:
/// - Both ends are created by one request, the pod end straight inside the pod's namespace: moving
///   a link between namespaces serialises on the kernel's routing lock, which turns a burst of
///   ADDs into seconds of waiting.
/// - Nothing may be left half-wired: every step registers its undo, and a failure runs them in
///   reverse. Deleting the host veth takes its peer, the pod's addresses and every route through
///   either end with it, so in practice one undo covers almost everything.
/// - No ADD waits for IPv6 duplicate address detection: pod addresses are added with NODAD and
///   both sides reach each other through permanent neighbour entries, never through ARP or NDP.
public struct PodWiring: Sendable {
    public init() {}

    /// Creates the veth pair, addresses, gateway routes and neighbours for `attachment` and the
    /// host's routes to the pod. Returns the interfaces it made. On any failure everything done so
    /// far is undone before the error is thrown.
    public func add(_ attachment: PodAttachment) throws -> WiredPod {
        var undo = UndoList()
        do {
            let wired = try wire(attachment, undo: &undo)
            return wired
        } catch {
            undo.run()
            throw error
        }
    }

    private func wire(_ a: PodAttachment, undo: inout UndoList) throws -> WiredPod {
        let hostName = a.hostInterfaceName
        let host = try step("open netlink socket") { try NetlinkHandle() }
        try enableForwarding(for: a.families)

        do {
            try host.addVethPair(name: hostName, peerName: a.interfaceName,
                                 peerNamespacePath: a.namespacePath, mtu: a.mtu)
        } catch let error as NetlinkError where error.isExists {
            throw PodNetworkError.hostInterfaceExists(name: hostName, containerID: a.containerID)
        } catch let error as NetlinkError {
            throw PodNetworkError.netlink(step: "create veth \(hostName) with peer \(a.interfaceName) in \(a.namespacePath)", error)
        }
        undo.add { try? host.deleteLink(named: hostName) }

        let hostLink = try step("read back \(hostName)") { try host.link(named: hostName) }
        guard let hostMAC = hostLink.mac else {
            throw PodNetworkError.checkFailed(["\(hostName) has no MAC address"])
        }

        let pod: NetlinkHandle
        do { pod = try NetlinkHandle(namespacePath: a.namespacePath) } catch {
            throw PodNetworkError.namespaceUnavailable(path: a.namespacePath, underlying: error)
        }
        let podLink = try step("read back \(a.interfaceName) in \(a.namespacePath)") { try pod.link(named: a.interfaceName) }
        guard let podMAC = podLink.mac else {
            throw PodNetworkError.checkFailed(["\(a.interfaceName) has no MAC address"])
        }

        for address in a.addresses {
            try step("add \(address) to \(a.interfaceName)") {
                try pod.addAddress(IPPrefix(host: address), linkIndex: podLink.index, noDAD: true)
            }
        }
        try step("set \(a.interfaceName) up") { try pod.setUp(a.interfaceName) }
        for family in a.families {
            let gateway = PodGateway.address(for: family)
            try step("add neighbour \(gateway) on \(a.interfaceName)") {
                try pod.replaceNeighbor(Neighbor(address: gateway, mac: hostMAC, linkIndex: podLink.index))
            }
        }
        for route in a.podRoutes(linkIndex: podLink.index) {
            try step("add route \(route.destination) in the pod") { try pod.addRoute(route) }
        }

        try step("set \(hostName) up") { try host.setUp(hostName) }
        for address in a.addresses {
            try step("add neighbour \(address) on \(hostName)") {
                try host.replaceNeighbor(Neighbor(address: address, mac: podMAC, linkIndex: hostLink.index))
            }
        }
        for route in a.hostRoutes(linkIndex: hostLink.index) {
            try step("add route \(route.destination) dev \(hostName)") { try host.replaceRoute(route) }
        }
        return WiredPod(hostInterfaceName: hostName, hostMAC: hostMAC, podInterfaceName: a.interfaceName,
                        podMAC: podMAC, namespacePath: a.namespacePath)
    }

    /// Removes the pod's veth pair (and with it every address, route and neighbour on it).
    /// Succeeds when the veth, or the pod's namespace, is already gone: DEL must be repeatable.
    public func remove(containerID: String) throws {
        try removeHostInterface(named: HostVethName.forContainer(containerID))
    }

    /// Deletes the host veth `name` (`ip link del NAME`), which takes its peer with it; a veth
    /// already gone is success. The kernel needs 10-20 ms for this (RTM_DELLINK waits for RCU
    /// grace periods), which is why the plugin may run it in a detached process.
    public func removeHostInterface(named name: String) throws {
        let host = try step("open netlink socket") { try NetlinkHandle() }
        do {
            try host.deleteLink(named: name)
        } catch let error as NetlinkError where error.isNotFound {
            return
        } catch let error as NetlinkError {
            throw PodNetworkError.netlink(step: "delete \(name)", error)
        }
    }

    /// The host veth of `containerID` when it exists (one netlink request), else `nil`.
    public func existingHostInterface(containerID: String) throws -> String? {
        let name = HostVethName.forContainer(containerID)
        let host = try step("open netlink socket") { try NetlinkHandle() }
        return try step("look up \(name)") { try host.findLink(named: name) }.map(\.name)
    }

    private func enableForwarding(for families: [IPFamily]) throws {
        for family in families {
            try Sysctl.ensure(family == .v4 ? "net/ipv4/ip_forward" : "net/ipv6/conf/all/forwarding", "1")
        }
    }
}

/// Runs `body`, wrapping a netlink failure with the step it belongs to.
func step<T>(_ name: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as NetlinkError {
        throw PodNetworkError.netlink(step: name(), error)
    }
}

/// Undo actions registered while wiring, run newest first when a later step fails.
struct UndoList {
    private var actions: [() -> Void] = []
    mutating func add(_ action: @escaping () -> Void) { actions.append(action) }
    func run() { actions.reversed().forEach { $0() } }
}
