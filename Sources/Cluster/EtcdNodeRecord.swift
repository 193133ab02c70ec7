import FoundationEssentials
import NetworkModel

/// The JSON both of a node's keys hold (DESIGN.md, "Cluster data"):
/// `{"publicIP","podCIDR","vtepMAC","backend"}`, and on a dual-stack node also `"podCIDRs"` (both
/// slices, IPv4 first) and `"publicIPv6"` (its IPv6 underlay address, when it has one). `podCIDR`
/// always holds the first slice, so agents that know only that field still reach the node over
/// IPv4; a single-stack record is byte for byte what older agents write. The node's name is in
/// the node key, not in the record.
struct EtcdNodeRecord: Codable, Hashable, Sendable {
    var publicIP: String
    var podCIDR: String
    var podCIDRs: [String]?
    var publicIPv6: String?
    var vtepMAC: String?
    var backend: String?

    init(publicIP: String, podCIDR: String, podCIDRs: [String]? = nil, publicIPv6: String? = nil,
         vtepMAC: String?, backend: String?) {
        self.publicIP = publicIP
        self.podCIDR = podCIDR
        self.podCIDRs = podCIDRs
        self.publicIPv6 = publicIPv6
        self.vtepMAC = vtepMAC
        self.backend = backend
    }

    /// The record `registration` publishes with `slices` (one per family, IPv4 first; not empty).
    init(_ registration: NodeRegistration, slices: [IPPrefix]) {
        self.init(publicIP: "\(registration.publicIP)", podCIDR: slices.first.map { "\($0)" } ?? "",
                  podCIDRs: slices.count > 1 ? slices.map { "\($0)" } : nil,
                  publicIPv6: registration.publicIPv6.map { "\($0)" },
                  vtepMAC: registration.vtepMAC, backend: registration.backend.rawValue)
    }

    /// Parses a stored value. Throws `DecodingError` for anything else.
    init(bytes: [UInt8]) throws {
        self = try JSONDecoder().decode(EtcdNodeRecord.self, from: Data(bytes))
    }

    /// The JSON to store (keys sorted, so equal records are equal bytes).
    var bytes: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding optional strings and a list of them cannot fail.
        return Array((try? encoder.encode(self)) ?? Data())
    }

    /// The record's slices, at most one per family: `podCIDRs` when present, else `podCIDR`.
    /// Nil when one of them is not a network prefix or two share a family.
    var slices: [IPPrefix]? {
        let texts = podCIDRs ?? [podCIDR]
        let slices = texts.compactMap { IPPrefix($0).flatMap { $0.isNetwork ? $0 : nil } }
        guard !slices.isEmpty, slices.count == texts.count, Set(slices.map(\.family)).count == slices.count else { return nil }
        return slices
    }

    /// The node this record describes, or nil when its address or slices do not parse. An
    /// unknown `backend` (a newer agent's mode) is dropped, not fatal: peers only need it in
    /// hybrid mode and fall back to their own rule without it; so is an IPv6 underlay address
    /// that does not parse (its IPv6 slice is then reached over VXLAN).
    func node(named name: String) -> ClusterNode? {
        guard let slices, let address = IPAddress(publicIP) else { return nil }
        return ClusterNode(name: name, podCIDRs: slices, publicIP: address,
                           publicIPv6: publicIPv6.flatMap(IPAddress.init).flatMap { $0.family == .v6 ? $0 : nil },
                           vtepMAC: vtepMAC, backend: backend.flatMap(ClusterNode.Backend.init(rawValue:)))
    }
}
