#if canImport(Glibc)
import Glibc
#endif
import NetworkModel
import IPAM
import Netlink

/// Wires, and unwires, one pod attachment with a routed veth pair (no bridge).
///
/// Why this is tricky:
/// - Both ends are created by one request, the pod end straight inside the pod's namespace: moving
///   a link between namespaces serialises on the kernel's routing lock, which turns a burst of
///   ADDs into seconds of waiting.
/// - Nothing may be left half-wired: a failure after the veth exists deletes it again (by index,
///   the very device this ADD made), which takes its peer, the pod's addresses and neighbours and
///   every route through either end with it.
/// - No ADD waits for IPv6 duplicate address detection: pod addresses are added with NODAD and
///   both sides reach each other through permanent neighbour entries, never through ARP or NDP.
/// - Removal by name is only for the attachment's own leftovers; whoever removes a veth it saw
///   earlier (DEL's detached reaper, GC) removes it by name and index, so a successor that got
///   the same name in the meantime survives.
public struct PodWiring: Sendable {
    private let afterStep: @Sendable (WiringStep) throws -> Void

    /// A wiring. `afterStep` runs after each step of `add` and may throw to fail the ADD there
    /// (tests inject faults with it); by default it does nothing.
    public init(afterStep: @escaping @Sendable (WiringStep) throws -> Void = { _ in }) {
        self.afterStep = afterStep
    }

    /// Creates the veth pair, addresses, gateway routes and neighbours for `attachment` and the
    /// host's routes to the pod, in the calling thread's network namespace (the node's). Returns
    /// the interfaces it made. On any failure the veth is deleted again before the error is
    /// thrown, so nothing is left. Throws `PodNetworkError.hostInterfaceExists` when the host
    /// veth's name is taken (nothing is changed then).
    public func add(_ attachment: PodAttachment) throws -> WiredPod {
        let host = try step("open netlink socket") { try NetlinkHandle() }
        try enableForwarding(for: attachment.families)
        let hostVeth = try createVeth(attachment, on: host)
        do {
            return try wire(attachment, hostVeth: hostVeth, on: host)
        } catch {
            try? host.deleteLink(index: hostVeth.index)
            throw error
        }
    }

    private func createVeth(_ a: PodAttachment, on host: NetlinkHandle) throws -> HostVeth {
        let hostName = a.hostInterfaceName
        do {
            try host.addVethPair(name: hostName, peerName: a.interfaceName, peerNamespacePath: a.namespacePath, mtu: a.mtu)
        } catch let error as NetlinkError where error.isExists {
            throw PodNetworkError.hostInterfaceExists(name: hostName, containerID: a.containerID)
        } catch let error as NetlinkError {
            throw PodNetworkError.netlink(step: "create veth \(hostName) with peer \(a.interfaceName) in \(a.namespacePath)", error)
        }
        do {
            return HostVeth(name: hostName, index: try host.link(named: hostName).index)
        } catch let error as NetlinkError {
            try? host.deleteLink(named: hostName)
            throw PodNetworkError.netlink(step: "read back \(hostName)", error)
        }
    }

    private func wire(_ a: PodAttachment, hostVeth: HostVeth, on host: NetlinkHandle) throws -> WiredPod {
        let hostLink = try step("read back \(hostVeth.name)") { try host.link(index: hostVeth.index) }
        guard let hostMAC = hostLink.mac else { throw PodNetworkError.missingMAC(interface: hostVeth.name) }
        let pod: NetlinkHandle
        do { pod = try NetlinkHandle(namespacePath: a.namespacePath) } catch {
            throw PodNetworkError.namespaceUnavailable(path: a.namespacePath, underlying: error)
        }
        let podLink = try step("read back \(a.interfaceName) in \(a.namespacePath)") { try pod.link(named: a.interfaceName) }
        guard let podMAC = podLink.mac else { throw PodNetworkError.missingMAC(interface: a.interfaceName) }
        // Both ends up first: the kernel's link watcher then has the rest of the wiring to make
        // them operational (see `waitUntilRunning`), so ADD rarely waits for it at the end.
        try step("set \(a.interfaceName) up") { try pod.setUp(a.interfaceName) }
        try step("set \(hostVeth.name) up") { try host.setUp(hostVeth.name) }
        try afterStep(.vethCreated)

        for address in a.addresses {
            try step("add \(address) to \(a.interfaceName)") {
                try pod.addAddress(IPPrefix(host: address), linkIndex: podLink.index, noDAD: true)
            }
        }
        try afterStep(.podAddresses)

        for family in a.families {
            let gateway = PodGateway.address(for: family)
            try step("add neighbour \(gateway) on \(a.interfaceName)") {
                try pod.replaceNeighbor(Neighbor(address: gateway, mac: hostMAC, linkIndex: podLink.index))
            }
        }
        try afterStep(.gatewayNeighbors)

        for route in a.podRoutes(linkIndex: podLink.index) { try addPodRoute(route, on: pod) }
        try afterStep(.podRoutes)

        for address in a.addresses {
            try step("add neighbour \(address) on \(hostVeth.name)") {
                try host.replaceNeighbor(Neighbor(address: address, mac: podMAC, linkIndex: hostVeth.index))
            }
        }
        try afterStep(.hostNeighbors)

        for route in a.hostRoutes(linkIndex: hostVeth.index) {
            try step("add route \(route.destination) dev \(hostVeth.name)") { try host.replaceRoute(route) }
        }
        try afterStep(.hostRoutes)
        waitUntilRunning([(host, hostVeth.index), (pod, podLink.index)])
        return WiredPod(hostInterfaceName: hostVeth.name, hostMAC: hostMAC, podInterfaceName: a.interfaceName,
                        podMAC: podMAC, namespacePath: a.namespacePath)
    }

    /// Removes the veth pair of `attachment` by name (and with it every address, route and
    /// neighbour on it): for the attachment's own leftover, found by the ADD that replaces it.
    /// Succeeds when the veth is already gone.
    public func remove(_ attachment: AttachmentID) throws {
        let name = HostVethName.forAttachment(attachment)
        let host = try step("open netlink socket") { try NetlinkHandle() }
        do {
            try host.deleteLink(named: name)
        } catch let error as NetlinkError where error.isNotFound {
            return
        } catch let error as NetlinkError {
            throw PodNetworkError.netlink(step: "delete \(name)", error)
        }
    }

    /// Deletes `veth` if the device with its index still carries its name (`ip link del`), which
    /// takes its peer with it; a veth already gone, or an index that now names another device,
    /// is success. The kernel needs 10-20 ms for this (RTM_DELLINK waits for RCU grace periods),
    /// which is why DEL may run it in a detached process.
    public func remove(_ veth: HostVeth) throws {
        let host = try step("open netlink socket") { try NetlinkHandle() }
        do {
            guard try host.link(index: veth.index).name == veth.name else { return }
            try host.deleteLink(index: veth.index)
        } catch let error as NetlinkError where error.isNotFound {
            return
        } catch let error as NetlinkError {
            throw PodNetworkError.netlink(step: "delete \(veth)", error)
        }
    }

    /// The host veth of `attachment` when it exists (one netlink request), else `nil`.
    public func existingHostVeth(of attachment: AttachmentID) throws -> HostVeth? {
        let name = HostVethName.forAttachment(attachment)
        let host = try step("open netlink socket") { try NetlinkHandle() }
        return try step("look up \(name)") { try host.findLink(named: name) }.map { HostVeth(name: $0.name, index: $0.index) }
    }

    /// Every Trellis host veth (`trl` and 11 hex digits) in the node's namespace (one dump).
    public func hostVeths() throws -> [HostVeth] {
        let host = try step("open netlink socket") { try NetlinkHandle() }
        return try step("list links") { try host.links() }
            .filter { HostVethName.isHostVethName($0.name) }
            .map { HostVeth(name: $0.name, index: $0.index) }
    }

    /// Waits, up to `runningTimeout`, until every link is operationally up (`IFF_RUNNING`). A veth
    /// end set up drops what it sends until the kernel's link watcher (a work item, late on a
    /// busy machine) has attached its queueing discipline; an ADD that returned before would
    /// hand the runtime a pod whose first packets are lost. Normally already so at the first look;
    /// on timeout ADD goes on (the link watcher will get there).
    private func waitUntilRunning(_ links: [(handle: NetlinkHandle, index: Int32)]) {
        let deadline = ContinuousClock.now.advanced(by: Self.runningTimeout)
        for link in links {
            while (try? link.handle.link(index: link.index).isRunning) == false, ContinuousClock.now < deadline {
                usleep(500)
            }
        }
    }

    /// The longest ADD waits for its veth ends to become operational.
    private static let runningTimeout: Duration = .seconds(1)

    /// Adds a pod route at the lowest metric still free for its destination: a second attachment
    /// of the pod (`net1` beside `eth0`) gets its gateway and default routes behind the first
    /// one's, so each stays when the other is removed.
    private func addPodRoute(_ route: Route, on pod: NetlinkHandle) throws {
        var route = route
        for attempt in 1... {
            do {
                return try pod.addRoute(route)
            } catch let error as NetlinkError where error.isExists && attempt < Self.attachmentsSharingRoutes {
                // IPv6 stores metric 0 as 1024, so the next free one is above that.
                route.metric = (route.metric == 0 && route.destination.family == .v6 ? 1024 : route.metric) + 1
            } catch let error as NetlinkError {
                throw PodNetworkError.netlink(step: "add route \(route.destination) in the pod", error)
            }
        }
    }

    /// How many attachments of one pod may have routes to the same destination.
    private static let attachmentsSharingRoutes = 16

    private func enableForwarding(for families: [IPFamily]) throws {
        for family in families {
            do {
                try Sysctl.ensure(Sysctl.forwardingKey(ipv6: family == .v6), "1")
            } catch {
                throw PodNetworkError.sysctl(key: error.key, errno: error.errno)
            }
        }
    }
}

/// The steps of `PodWiring.add`, in order; a fault injected after any of them must leave nothing.
public enum WiringStep: CaseIterable, Sendable {
    /// The veth pair exists, both ends read back and up.
    case vethCreated
    /// The pod's addresses are on its interface.
    case podAddresses
    /// The pod's permanent neighbour entries for its gateways.
    case gatewayNeighbors
    /// The pod's on-link gateway and default routes.
    case podRoutes
    /// The host veth has a neighbour entry per pod address.
    case hostNeighbors
    /// The host's routes to the pod (the last step).
    case hostRoutes
}

/// Runs `body`, wrapping a netlink failure with the step it belongs to.
func step<T>(_ name: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as NetlinkError {
        throw PodNetworkError.netlink(step: name(), error)
    }
}
