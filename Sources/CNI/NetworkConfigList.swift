import FoundationEssentials
import Glibc

/// A network configuration list (conflist), as in `/etc/cni/net.d/10-trellis.conflist`. Plugin
/// objects are kept as JSON; ``pluginConfig(type:)`` derives what a runtime would pass to one.
public struct NetworkConfigList: Hashable, Sendable {
    /// The list's `cniVersion`, passed to every plugin.
    public let cniVersion: CNIVersion
    /// Further versions the list supports (`cniVersions`), as written.
    public let cniVersions: [String]
    /// The network name (the spec's name rule).
    public let name: String
    /// `disableCheck`: runtimes must not call CHECK.
    public let disableCheck: Bool
    /// `disableGC`: runtimes must not call GC.
    public let disableGC: Bool
    /// The plugin objects in chain order; each has a non-empty string `type`.
    public let plugins: [[String: JSONValue]]

    /// Decodes and validates a conflist.
    /// - Throws: `.decodingFailure` (6) for bytes that are not a JSON conflist;
    ///   `.incompatibleVersion` (1) for an unsupported `cniVersion`; `.invalidNetworkConfig` (7)
    ///   for a missing/malformed `cniVersion`, an invalid `name`, no plugins, or a plugin
    ///   without `type`.
    public static func decode(_ data: Data) throws(CNIError) -> NetworkConfigList {
        try NetworkConfigList(JSONCoding.decode(Wire.self, from: data, what: "network configuration list"))
    }

    /// The `type` of each plugin, in chain order.
    public var pluginTypes: [String] {
        plugins.map { plugin in
            if case .string(let type)? = plugin["type"] { return type }
            return ""
        }
    }

    /// The configuration a runtime passes to the first plugin of `type`: its object with the
    /// list's `name` and `cniVersion` merged in.
    /// - Throws: `.invalidNetworkConfig` (7) when no plugin has that type, or what
    ///   ``NetworkConfig/decode(_:)`` throws for the merged object.
    public func pluginConfig(type: String) throws(CNIError) -> NetworkConfig {
        guard let index = pluginTypes.firstIndex(of: type) else {
            throw ConfigWire.invalid("no plugin of type \"\(type)\" in network \"\(name)\"")
        }
        var object = plugins[index]
        object["name"] = .string(name)
        object["cniVersion"] = .string(cniVersion.rawValue)
        return try NetworkConfig.decode(JSONCoding.encode(JSONValue.object(object)))
    }

    private init(_ wire: Wire) throws(CNIError) {
        guard let version = wire.cniVersion else { throw ConfigWire.invalid("missing cniVersion") }
        cniVersion = try CNIVersion(parsing: version)
        name = try ConfigWire.networkName(wire.name)
        cniVersions = wire.cniVersions ?? []
        disableCheck = wire.disableCheck ?? false
        disableGC = wire.disableGC ?? false
        plugins = wire.plugins ?? []
        guard !plugins.isEmpty else { throw ConfigWire.invalid("network \"\(name)\" has no plugins") }
        if let index = pluginTypes.firstIndex(where: \.isEmpty) {
            throw ConfigWire.invalid("plugins[\(index)] has no type")
        }
    }

    private struct Wire: Decodable {
        var cniVersion: String?
        var cniVersions: [String]?
        var name: String?
        var disableCheck: Bool?
        var disableGC: Bool?
        var plugins: [[String: JSONValue]]?
    }
}
