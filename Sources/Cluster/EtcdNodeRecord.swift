import FoundationEssentials
import NetworkModel

/// The JSON both of a node's keys hold: `{"publicIP","podCIDR","vtepMAC","backend"}`
/// (DESIGN.md). The node's name is in the node key, not in the record.
struct EtcdNodeRecord: Codable, Hashable, Sendable {
    var publicIP: String
    var podCIDR: String
    var vtepMAC: String?
    var backend: String?

    init(publicIP: String, podCIDR: String, vtepMAC: String?, backend: String?) {
        self.publicIP = publicIP
        self.podCIDR = podCIDR
        self.vtepMAC = vtepMAC
        self.backend = backend
    }

    /// The record `registration` publishes with `slice`.
    init(_ registration: NodeRegistration, slice: IPPrefix) {
        self.init(publicIP: "\(registration.publicIP)", podCIDR: "\(slice)",
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
        // Encoding four optional strings cannot fail.
        return Array((try? encoder.encode(self)) ?? Data())
    }

    /// The record's slice, when `podCIDR` is a network prefix.
    var slice: IPPrefix? {
        IPPrefix(podCIDR).flatMap { $0.isNetwork ? $0 : nil }
    }

    /// The node this record describes, or nil when its address or slice does not parse. An
    /// unknown `backend` (a newer agent's mode) is dropped, not fatal: peers only need it in
    /// hybrid mode and fall back to their own rule without it.
    func node(named name: String) -> ClusterNode? {
        guard let slice, let address = IPAddress(publicIP) else { return nil }
        return ClusterNode(name: name, podCIDRs: [slice], publicIP: address,
                           vtepMAC: vtepMAC, backend: backend.flatMap(ClusterNode.Backend.init(rawValue:)))
    }
}
