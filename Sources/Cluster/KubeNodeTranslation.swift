import FoundationEssentials
import NetworkModel

/// The annotations Trellis publishes on its own Node (DESIGN.md, "Cluster data").
enum KubeAnnotation {
    static let publicIP = "trellis.dev/public-ip"
    static let publicIPv6 = "trellis.dev/public-ipv6"
    static let vtepMAC = "trellis.dev/vtep-mac"
    static let backend = "trellis.dev/backend"

    /// What `registration` publishes, by annotation key.
    static func values(of registration: NodeRegistration) -> [String: String] {
        var values = [publicIP: registration.publicIP.description, vtepMAC: registration.vtepMAC,
                      backend: registration.backend.rawValue]
        values[publicIPv6] = registration.publicIPv6?.description
        return values
    }
}

extension KubeNode {
    /// The node's slices: `spec.podCIDRs`, else `spec.podCIDR`; entries that do not parse are left out.
    var podCIDRs: [IPPrefix] {
        let texts = spec?.podCIDRs ?? spec?.podCIDR.map { [$0] } ?? []
        return texts.compactMap(IPPrefix.init)
    }

    /// The underlay address: the `trellis.dev/public-ip` annotation, else the first IPv4
    /// `InternalIP` (a dual-stack node lists one per family, in either order), else the first.
    var publicIP: IPAddress? {
        if let annotated = annotations[KubeAnnotation.publicIP].flatMap(IPAddress.init) { return annotated }
        return internalIP(.v4) ?? status?.addresses?.lazy.filter { $0.type == "InternalIP" }.compactMap { IPAddress($0.address) }.first
    }

    /// The IPv6 underlay address: the `trellis.dev/public-ipv6` annotation, else the IPv6
    /// `InternalIP`; nil when the node has neither.
    var publicIPv6: IPAddress? {
        if let annotated = annotations[KubeAnnotation.publicIPv6].flatMap(IPAddress.init), annotated.family == .v6 {
            return annotated
        }
        return internalIP(.v6)
    }

    private func internalIP(_ family: IPFamily) -> IPAddress? {
        status?.addresses?.lazy.filter { $0.type == "InternalIP" }.compactMap { IPAddress($0.address) }.first { $0.family == family }
    }

    /// The node as peers see it; nil while it has no slice or no address to reach it at.
    var clusterNode: ClusterNode? {
        let slices = podCIDRs
        guard let name = metadata.name, !slices.isEmpty, let publicIP else { return nil }
        return ClusterNode(name: name, podCIDRs: slices, publicIP: publicIP,
                           publicIPv6: slices.contains { $0.family == .v6 } ? publicIPv6 : nil,
                           vtepMAC: annotations[KubeAnnotation.vtepMAC],
                           backend: annotations[KubeAnnotation.backend].flatMap(ClusterNode.Backend.init(rawValue:)))
    }

    /// The condition of `type`, if the node has one.
    func condition(_ type: String) -> KubeNodeCondition? {
        status?.conditions?.first { $0.type == type }
    }
}

/// The bodies of the two writes the agent makes to its own Node. Pure, so their shape is tested
/// without a server.
enum KubeNodePatch {
    /// The merge patch (`application/merge-patch+json`) that sets `registration`'s annotations,
    /// touching no other annotation; nil when `current` already holds them all.
    /// An IPv6 address published earlier and gone now is removed (`null`), so peers stop
    /// routing to it.
    static func annotations(for registration: NodeRegistration, current: [String: String]) -> [UInt8]? {
        var wanted: [String: String?] = KubeAnnotation.values(of: registration).mapValues { $0 }
        if registration.publicIPv6 == nil, current[KubeAnnotation.publicIPv6] != nil {
            wanted[KubeAnnotation.publicIPv6] = .some(nil)
        }
        guard wanted.contains(where: { current[$0.key] != $0.value }) else { return nil }
        return encode(["metadata": ["annotations": wanted]])
    }

    /// The `NetworkUnavailable` condition an agent whose node is wired reports.
    static func networkAvailable(at date: Date) -> KubeNodeCondition {
        let time = date.ISO8601Format()
        return KubeNodeCondition(type: "NetworkUnavailable", status: "False", reason: "TrellisIsUp",
                                 message: "Trellis is running on this node", lastHeartbeatTime: time, lastTransitionTime: time)
    }

    /// The strategic merge patch (`application/strategic-merge-patch+json`) of `nodes/status`
    /// that sets `condition`. Strategic, not a JSON merge patch: `status.conditions` is merged by
    /// `type` only under strategic merge; a merge patch would replace the whole list and erase
    /// kubelet's `Ready` and pressure conditions (kubelet and cloud route controllers patch it
    /// the same way).
    static func condition(_ condition: KubeNodeCondition) -> [UInt8] {
        encode(["status": ["conditions": [condition]]])
    }

    private static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding dictionaries of strings and a flat struct cannot fail.
        return Array((try? encoder.encode(value)) ?? Data())
    }
}
