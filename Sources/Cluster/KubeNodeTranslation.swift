import FoundationEssentials
import NetworkModel

/// The annotations Trellis publishes on its own Node (DESIGN.md, "Cluster data").
enum KubeAnnotation {
    static let publicIP = "trellis.dev/public-ip"
    static let vtepMAC = "trellis.dev/vtep-mac"
    static let backend = "trellis.dev/backend"

    /// What `registration` publishes, by annotation key.
    static func values(of registration: NodeRegistration) -> [String: String] {
        [publicIP: registration.publicIP.description, vtepMAC: registration.vtepMAC, backend: registration.backend.rawValue]
    }
}

extension KubeNode {
    /// The node's slices: `spec.podCIDRs`, else `spec.podCIDR`; entries that do not parse are left out.
    var podCIDRs: [IPPrefix] {
        let texts = spec?.podCIDRs ?? spec?.podCIDR.map { [$0] } ?? []
        return texts.compactMap(IPPrefix.init)
    }

    /// The underlay address: the `trellis.dev/public-ip` annotation, else the first `InternalIP`.
    var publicIP: IPAddress? {
        if let annotated = annotations[KubeAnnotation.publicIP].flatMap(IPAddress.init) { return annotated }
        return status?.addresses?.lazy.filter { $0.type == "InternalIP" }.compactMap { IPAddress($0.address) }.first
    }

    /// The node as peers see it; nil while it has no slice or no address to reach it at.
    var clusterNode: ClusterNode? {
        let slices = podCIDRs
        guard let name = metadata.name, !slices.isEmpty, let publicIP else { return nil }
        return ClusterNode(name: name, podCIDRs: slices, publicIP: publicIP, vtepMAC: annotations[KubeAnnotation.vtepMAC],
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
    static func annotations(for registration: NodeRegistration, current: [String: String]) -> [UInt8]? {
        let wanted = KubeAnnotation.values(of: registration)
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
