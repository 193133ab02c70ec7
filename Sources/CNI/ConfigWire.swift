import NetworkModel

/// The JSON shape of a plugin configuration, every key optional so that a missing key is a
/// validation error (7) with a clear message rather than a decoding error (6).
struct ConfigWire: Decodable {
    var cniVersion: String?
    var name: String?
    var type: String?
    var prevResult: ResultWire?
    var runtimeConfig: [String: JSONValue]?
    var args: [String: JSONValue]?
    var capabilities: [String: Bool]?
    var validAttachments: [AttachmentWire]?
    /// The key libcni also writes, named after an earlier spec typo (cni#1101).
    var legacyAttachments: [AttachmentWire]?
    var dns: CNIDNS?
    var runDir: String?
    var dataDir: String?
    var mtu: Int?
    var ranges: [String]?
    var logFile: String?
    var logLevel: String?

    struct AttachmentWire: Decodable {
        var containerID: String
        var ifname: String
    }

    private enum CodingKeys: String, CodingKey {
        case cniVersion, name, type, prevResult, runtimeConfig, args, capabilities, dns
        case runDir, dataDir, mtu, ranges, logFile, logLevel
        case validAttachments = "cni.dev/valid-attachments"
        case legacyAttachments = "cni.dev/attachments"
    }

    static func invalid(_ message: String, details: String? = nil) -> CNIError {
        CNIError(.invalidNetworkConfig, message, details: details)
    }

    /// The network name, by the spec's rule (the same as for container IDs).
    static func networkName(_ name: String?) throws(CNIError) -> String {
        guard let name, !name.isEmpty else { throw invalid("missing network name") }
        if let problem = NameRule.problem(with: name, what: "network name") {
            throw invalid("invalid network name \"\(name)\"", details: problem)
        }
        return name
    }

    static func absolutePath(_ path: String, key: String) throws(CNIError) -> String {
        guard path.hasPrefix("/"), !path.utf8.contains(0) else {
            throw invalid("\(key) must be an absolute path", details: path)
        }
        return path
    }

    static func attachments(_ wires: [AttachmentWire]) throws(CNIError) -> [CNIAttachment] {
        var attachments: [CNIAttachment] = []
        for (index, wire) in wires.enumerated() {
            guard let id = ContainerID(wire.containerID), let ifname = InterfaceName(wire.ifname) else {
                throw invalid("invalid cni.dev/valid-attachments[\(index)]",
                              details: ContainerID.problem(with: wire.containerID)
                                  ?? InterfaceName.problem(with: wire.ifname))
            }
            attachments.append(CNIAttachment(containerID: id, ifname: ifname))
        }
        return attachments
    }

    /// Network prefixes (host bits zero), at most one per family, each with room for at least
    /// two pod addresses besides the network and broadcast addresses.
    static func ranges(_ texts: [String]) throws(CNIError) -> [IPPrefix] {
        var ranges: [IPPrefix] = []
        for text in texts {
            guard let prefix = IPPrefix(text), text.contains("/") else {
                throw invalid("ranges: \"\(text)\" is not a CIDR prefix")
            }
            guard prefix.isNetwork else {
                throw invalid("ranges: \"\(text)\" has host bits set",
                              details: "did you mean \(prefix.network)?")
            }
            guard prefix.length <= prefix.family.bitWidth - 2 else {
                throw invalid("ranges: \"\(text)\" is too small to allocate from")
            }
            guard !ranges.contains(where: { $0.family == prefix.family }) else {
                throw invalid("ranges: more than one IP\(prefix.family) range",
                              details: "a node has one slice per family")
            }
            ranges.append(prefix)
        }
        return ranges
    }
}
