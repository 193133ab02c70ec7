import NetworkModel
import FoundationEssentials
import Glibc

/// The result of an ADD, independent of the cniVersion it is written in: what the attachment
/// created. ``json(version:)`` renders it in any supported version; ``decode(_:)``
/// reads one (a `prevResult`) in any of them.
public struct CNIResult: Hashable, Sendable {
    /// An interface the attachment created, in the container or on the host.
    public struct Interface: Hashable, Sendable {
        /// The interface name (`eth0`, the host veth's name).
        public var name: String
        /// Hardware address, `aa:bb:cc:dd:ee:ff`, when L2 addresses mean something.
        public var mac: String?
        /// MTU (written for 1.1.0 only).
        public var mtu: Int?
        /// The netns path for container interfaces (`CNI_NETNS`); `nil` on the host.
        public var sandbox: String?
        /// Socket file of the interface (1.1.0 only).
        public var socketPath: String?
        /// PCI identifier of the device (1.1.0 only).
        public var pciID: String?

        /// An interface; everything but the name is optional.
        public init(name: String, mac: String? = nil, mtu: Int? = nil, sandbox: String? = nil,
                    socketPath: String? = nil, pciID: String? = nil) {
            (self.name, self.mac, self.mtu, self.sandbox) = (name, mac, mtu, sandbox)
            (self.socketPath, self.pciID) = (socketPath, pciID)
        }
    }

    /// An address the attachment assigned.
    public struct IPConfig: Hashable, Sendable {
        /// The address with its prefix length, host bits kept (`10.244.1.5/32`).
        public var address: IPPrefix
        /// The gateway for this address's subnet, if any.
        public var gateway: IPAddress?
        /// Index into ``CNIResult/interfaces``; `nil` in IPAM-style results.
        public var interface: Int?

        /// An address entry.
        public init(address: IPPrefix, gateway: IPAddress? = nil, interface: Int? = nil) {
            (self.address, self.gateway, self.interface) = (address, gateway, interface)
        }
    }

    /// A route the attachment created. The attributes after `gateway` exist in 1.1.0 only.
    public struct Route: Hashable, Sendable {
        /// The route's destination (`dst`).
        public var destination: IPPrefix
        /// Next hop; when `nil` the IP entry's gateway may be used.
        public var gateway: IPAddress?
        /// Path MTU towards the destination.
        public var mtu: Int?
        /// TCP MSS to advertise towards the destination.
        public var advmss: Int?
        /// Route metric; lower wins.
        public var priority: Int?
        /// Routing table number.
        public var table: Int?
        /// Route scope: 0 global, 253 link, 254 host.
        public var scope: Int?

        /// A route; everything but the destination is optional.
        public init(destination: IPPrefix, gateway: IPAddress? = nil, mtu: Int? = nil,
                    advmss: Int? = nil, priority: Int? = nil, table: Int? = nil,
                    scope: Int? = nil) {
            (self.destination, self.gateway, self.mtu, self.advmss) = (destination, gateway, mtu, advmss)
            (self.priority, self.table, self.scope) = (priority, table, scope)
        }
    }

    /// Interfaces created, host side included.
    public var interfaces: [Interface]
    /// Addresses assigned.
    public var ips: [IPConfig]
    /// Routes created.
    public var routes: [Route]
    /// DNS settings; omitted when empty.
    public var dns: CNIDNS

    /// A result; an empty one by default.
    public init(interfaces: [Interface] = [], ips: [IPConfig] = [], routes: [Route] = [],
                dns: CNIDNS = CNIDNS()) {
        (self.interfaces, self.ips, self.routes, self.dns) = (interfaces, ips, routes, dns)
    }

    /// The result as the spec's JSON in `version`: keys sorted, empty lists and empty `dns`
    /// omitted, `version` per IP for 0.3.x/0.4.0 only, the 1.1.0 attributes for 1.1.0 only.
    public func json(version: CNIVersion) -> Data {
        JSONCoding.encode(ResultWire(self, version: version))
    }

    /// Reads a result in any supported version (all are read alike: `version` per IP is
    /// checked when present, the 1.1.0 attributes are taken when present).
    /// - Throws: `.decodingFailure` (6) for JSON that does not decode (bad addresses
    ///   included); `.incompatibleVersion` (1) for an unsupported `cniVersion`;
    ///   `.invalidNetworkConfig` (7) for an IP whose `version` contradicts its address or
    ///   whose interface index is out of range.
    public static func decode(_ data: Data) throws(CNIError) -> CNIResult {
        try JSONCoding.decode(ResultWire.self, from: data, what: "result").result()
    }
}
