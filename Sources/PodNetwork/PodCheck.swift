import NetworkModel
import IPAM
import Netlink

extension PodWiring {
    /// Verifies that `attachment` is wired as `add` left it: the pod interface up with its
    /// addresses, the gateway neighbour and routes in the pod, the host veth up with its routes to
    /// the pod. Throws `PodNetworkError.checkFailed` listing every difference found.
    public func check(_ attachment: PodAttachment) throws {
        let findings = try findings(for: attachment)
        if !findings.isEmpty { throw PodNetworkError.checkFailed(findings) }
    }

    private func findings(for a: PodAttachment) throws -> [String] {
        let host = try step("open netlink socket") { try NetlinkHandle() }
        let hostName = a.hostInterfaceName
        guard let hostLink = try existingLink(hostName, on: host) else {
            return ["host interface \(hostName) is missing"]
        }
        let pod: NetlinkHandle
        do { pod = try NetlinkHandle(namespacePath: a.namespacePath) } catch {
            throw PodNetworkError.namespaceUnavailable(path: a.namespacePath, underlying: error)
        }
        guard let podLink = try existingLink(a.interfaceName, on: pod) else {
            return ["interface \(a.interfaceName) is missing in \(a.namespacePath)"]
        }

        var findings: [String] = []
        if !hostLink.isUp { findings.append("host interface \(hostName) is down") }
        if !podLink.isUp { findings.append("\(a.interfaceName) is down") }

        let podAddresses = Set(try step("list addresses of \(a.interfaceName)") {
            try pod.addresses(linkIndex: podLink.index)
        }.map(\.prefix))
        for address in a.addresses where !podAddresses.contains(IPPrefix(host: address)) {
            findings.append("address \(IPPrefix(host: address)) is missing on \(a.interfaceName)")
        }

        let podNeighbors = try step("list neighbours of \(a.interfaceName)") { try pod.neighbors(linkIndex: podLink.index) }
        for family in a.families {
            let gateway = PodGateway.address(for: family)
            if !podNeighbors.contains(where: { $0.address == gateway && $0.mac == hostLink.mac }) {
                findings.append("gateway \(gateway) has no neighbour entry for \(hostName)'s MAC on \(a.interfaceName)")
            }
        }
        findings += missingRoutes(a.podRoutes(linkIndex: podLink.index), on: pod, where: "in the pod")
        findings += missingRoutes(a.hostRoutes(linkIndex: hostLink.index), on: host, where: "on the host")
        return findings
    }

    private func existingLink(_ name: String, on handle: NetlinkHandle) throws -> Link? {
        do { return try handle.link(named: name) } catch let error as NetlinkError where error.isNotFound {
            return nil
        } catch let error as NetlinkError {
            throw PodNetworkError.netlink(step: "look up \(name)", error)
        }
    }

    private func missingRoutes(_ expected: [Route], on handle: NetlinkHandle, where place: String) -> [String] {
        let families = Set(expected.map(\.destination.family))
        let present = families.flatMap { family in (try? handle.routes(family: family)) ?? [] }
        return expected.compactMap { route in
            present.contains { $0.destination == route.destination && $0.gateway == route.gateway && $0.linkIndex == route.linkIndex }
                ? nil : "route \(route.destination)\(route.gateway.map { " via \($0)" } ?? "") is missing \(place)"
        }
    }
}
