import NetworkModel
import FoundationEssentials
import Glibc

/// One plugin's configuration as a runtime passes it on stdin: the conflist's `name` and
/// `cniVersion` merged into the plugin object, plus what the runtime adds (`prevResult`,
/// `runtimeConfig`, `args`, `cni.dev/valid-attachments`). Unknown keys are ignored.
///
/// Trellis's own keys: `runDir`, `dataDir`, `mtu`, `ranges`, `logFile`, `logLevel`.
/// `ranges` is a flat list of CIDR strings, at most one per family, each a network address:
/// `"ranges": ["10.244.1.0/24", "fd00:10:244:1::/64"]` — the node's static slice when no agent
/// writes `node.json`.
public struct NetworkConfig: Hashable, Sendable {
    /// Verbosity of the plugin's log (written to `logFile` or stderr, never stdout).
    public enum LogLevel: String, CaseIterable, Sendable {
        case error, warning, info, debug
    }

    /// The version the runtime speaks; results and errors are written in it.
    public let cniVersion: CNIVersion
    /// The network name (the spec's name rule), also the IPAM store's directory name.
    public let name: String
    /// The plugin binary's name (`trellis`).
    public let type: String
    /// The result of the previous ADD (CHECK, DEL) or of earlier plugins in the chain.
    public let prevResult: CNIResult?
    /// Capability arguments the runtime filled in (`portMappings`, `ips`, ...).
    public let runtimeConfig: [String: JSONValue]
    /// The reserved `args` object.
    public let args: [String: JSONValue]
    /// Capabilities the plugin declared in the conflist.
    public let capabilities: [String: Bool]
    /// GC's still-valid attachments: `cni.dev/valid-attachments`, else the `cni.dev/attachments`
    /// libcni also writes. `nil` when the runtime sent neither (or `null`): it did not say which
    /// attachments are valid, which is not the same as "none are".
    public let validAttachments: [CNIAttachment]?
    /// The well-known `dns` key, for the result.
    public let dns: CNIDNS?

    /// Where `node.json` is read; absolute.
    public let runDir: String
    /// Root of the IPAM store (`<dataDir>/<name>/`); absolute.
    public let dataDir: String
    /// Pod MTU overriding `node.json`'s, within ``mtuRange``.
    public let mtu: Int?
    /// A static node slice, one network per family; empty when not configured.
    public let ranges: [IPPrefix]
    /// Absolute path of the log file; `nil` for stderr.
    public let logFile: String?
    /// From `logLevel`; `info` by default.
    public let logLevel: LogLevel

    /// `runDir` when not configured.
    public static let defaultRunDir = "/run/trellis"
    /// `dataDir` when not configured.
    public static let defaultDataDir = "/var/lib/cni/trellis"
    /// Accepted pod MTUs: IPv4's minimum reassembly size up to the largest a veth takes.
    public static let mtuRange = 576...65535

    /// Decodes and validates a plugin configuration.
    /// - Throws: `.decodingFailure` (6) when the bytes are not JSON of the right shape;
    ///   `.incompatibleVersion` (1) for a well-formed but unsupported `cniVersion`;
    ///   `.invalidNetworkConfig` (7) for a missing or malformed `cniVersion`, a missing or
    ///   invalid `name` or `type`, relative directories, an out-of-range `mtu`, bad `ranges`,
    ///   an unknown `logLevel`, an invalid valid-attachment, or a contradictory `prevResult`.
    public static func decode(_ data: Data) throws(CNIError) -> NetworkConfig {
        try NetworkConfig(JSONCoding.decode(ConfigWire.self, from: data, what: "network configuration"))
    }

    init(_ wire: ConfigWire) throws(CNIError) {
        guard let version = wire.cniVersion else { throw ConfigWire.invalid("missing cniVersion") }
        cniVersion = try CNIVersion(parsing: version)
        name = try ConfigWire.networkName(wire.name)
        guard let type = wire.type, !type.isEmpty, !type.contains("/"), !type.contains("\\") else {
            throw ConfigWire.invalid("missing or invalid plugin type", details: wire.type)
        }
        self.type = type
        prevResult = try wire.prevResult?.result()
        runtimeConfig = wire.runtimeConfig ?? [:]
        args = wire.args ?? [:]
        capabilities = wire.capabilities ?? [:]
        validAttachments = try (wire.validAttachments ?? wire.legacyAttachments).map(ConfigWire.attachments)
        dns = wire.dns
        runDir = try ConfigWire.absolutePath(wire.runDir ?? NetworkConfig.defaultRunDir, key: "runDir")
        dataDir = try ConfigWire.absolutePath(wire.dataDir ?? NetworkConfig.defaultDataDir, key: "dataDir")
        logFile = try wire.logFile.map { path throws(CNIError) in
            try ConfigWire.absolutePath(path, key: "logFile")
        }
        if let mtu = wire.mtu, !NetworkConfig.mtuRange.contains(mtu) {
            throw ConfigWire.invalid("mtu \(mtu) out of range",
                                     details: "accepted: \(NetworkConfig.mtuRange)")
        }
        mtu = wire.mtu
        ranges = try ConfigWire.ranges(wire.ranges ?? [])
        guard let level = LogLevel(rawValue: wire.logLevel ?? LogLevel.info.rawValue) else {
            throw ConfigWire.invalid("unknown logLevel \"\(wire.logLevel ?? "")\"", details:
                "expected one of " + LogLevel.allCases.map(\.rawValue).joined(separator: ", "))
        }
        logLevel = level
    }
}
