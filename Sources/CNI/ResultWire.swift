import NetworkModel

/// The JSON shape of a result, a superset of every supported version. Writing fills only the
/// fields of the target version; reading accepts any of them and checks what can contradict.
struct ResultWire: Codable {
    var cniVersion: String?
    var interfaces: [InterfaceWire]?
    var ips: [IPWire]?
    var routes: [RouteWire]?
    var dns: CNIDNS?

    struct InterfaceWire: Codable {
        var name: String
        var mac: String?
        var mtu: Int?
        var sandbox: String?
        var socketPath: String?
        var pciID: String?
    }

    struct IPWire: Codable {
        /// "4" or "6": written for 0.3.x and 0.4.0, checked when read.
        var version: String?
        var address: IPPrefix
        var gateway: IPAddress?
        var interface: Int?
    }

    struct RouteWire: Codable {
        var dst: IPPrefix
        var gw: IPAddress?
        var mtu: Int?
        var advmss: Int?
        var priority: Int?
        var table: Int?
        var scope: Int?
    }

    init(_ result: CNIResult, version: CNIVersion) {
        let extended = version.hasExtendedAttributes
        cniVersion = version.rawValue
        interfaces = ResultWire.nonEmpty(result.interfaces.map { interface in
            InterfaceWire(name: interface.name, mac: interface.mac,
                          mtu: extended ? interface.mtu : nil, sandbox: interface.sandbox,
                          socketPath: extended ? interface.socketPath : nil,
                          pciID: extended ? interface.pciID : nil)
        })
        ips = ResultWire.nonEmpty(result.ips.map { ip in
            IPWire(version: version.hasIPFamilyField ? ResultWire.familyTag(ip.address) : nil,
                   address: ip.address, gateway: ip.gateway, interface: ip.interface)
        })
        routes = ResultWire.nonEmpty(result.routes.map { route in
            extended
                ? RouteWire(dst: route.destination, gw: route.gateway, mtu: route.mtu,
                            advmss: route.advmss, priority: route.priority, table: route.table,
                            scope: route.scope)
                : RouteWire(dst: route.destination, gw: route.gateway)
        })
        dns = result.dns.isEmpty ? nil : result.dns
    }

    /// The version-neutral result; see ``CNIResult/decode(_:)`` for the failures.
    func result() throws(CNIError) -> CNIResult {
        if let cniVersion { _ = try CNIVersion(parsing: cniVersion) }
        let interfaces = (interfaces ?? []).map { wire in
            CNIResult.Interface(name: wire.name, mac: wire.mac, mtu: wire.mtu,
                                sandbox: wire.sandbox, socketPath: wire.socketPath,
                                pciID: wire.pciID)
        }
        var ips: [CNIResult.IPConfig] = []
        for (index, wire) in (self.ips ?? []).enumerated() {
            if let tag = wire.version, tag != ResultWire.familyTag(wire.address) {
                throw CNIError(.invalidNetworkConfig, "result ips[\(index)] has version \"\(tag)\"",
                               details: "address \(wire.address) is IP\(wire.address.family)")
            }
            if let interface = wire.interface, !interfaces.indices.contains(interface) {
                throw CNIError(.invalidNetworkConfig,
                               "result ips[\(index)] refers to interface \(interface)",
                               details: "the result has \(interfaces.count) interfaces")
            }
            ips.append(CNIResult.IPConfig(address: wire.address, gateway: wire.gateway,
                                          interface: wire.interface))
        }
        let routes = (self.routes ?? []).map { wire in
            CNIResult.Route(destination: wire.dst, gateway: wire.gw, mtu: wire.mtu,
                            advmss: wire.advmss, priority: wire.priority, table: wire.table,
                            scope: wire.scope)
        }
        return CNIResult(interfaces: interfaces, ips: ips, routes: routes, dns: dns ?? CNIDNS())
    }

    private static func familyTag(_ prefix: IPPrefix) -> String {
        prefix.family == .v4 ? "4" : "6"
    }

    private static func nonEmpty<T>(_ list: [T]) -> [T]? { list.isEmpty ? nil : list }
}
