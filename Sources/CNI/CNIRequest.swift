import FoundationEssentials
import Glibc

/// One parsed invocation: the verb with everything it needs, validated. Built purely from the
/// environment dictionary and stdin bytes by ``parse(environment:stdin:)``.
public enum CNIRequest: Hashable, Sendable {
    case add(AttachmentRequest)
    case check(AttachmentRequest)
    case del(DetachmentRequest)
    case gc(NetworkRequest)
    case status(NetworkRequest)
    case version(VersionInfo)

    /// Parses an invocation, checking in the order the reference `skel` does: the
    /// environment first, then the configuration, then whether its version allows the verb.
    /// - Throws: what ``CNIEnvironment/init(_:)`` and ``NetworkConfig/decode(_:)`` throw;
    ///   `.incompatibleVersion` (1) for CHECK below 0.4.0 and GC or STATUS below 1.1.0.
    public static func parse(environment: [String: String], stdin: Data) throws(CNIError) -> CNIRequest {
        let env = try CNIEnvironment(environment)
        if env.command == .version { return .version(VersionInfo(stdin: stdin)) }
        let config = try NetworkConfig.decode(stdin)
        guard config.cniVersion >= env.command.minimumVersion else {
            throw CNIError(.incompatibleVersion,
                           "config version \(config.cniVersion.rawValue) does not allow \(env.command.rawValue)",
                           details: "\(env.command.rawValue) needs cniVersion \(env.command.minimumVersion.rawValue) or later")
        }
        switch (env.command, env.attachment, env.netns) {
        case (.add, let attachment?, let netns?):
            return .add(AttachmentRequest(attachment: attachment, netns: netns, args: env.args,
                                          path: env.path, config: config))
        case (.check, let attachment?, let netns?):
            return .check(AttachmentRequest(attachment: attachment, netns: netns, args: env.args,
                                            path: env.path, config: config))
        case (.del, let attachment?, let netns):
            return .del(DetachmentRequest(attachment: attachment, netns: netns, args: env.args,
                                          path: env.path, config: config))
        case (.gc, _, _):
            return .gc(NetworkRequest(path: env.path, config: config))
        case (.status, _, _):
            return .status(NetworkRequest(path: env.path, config: config))
        case (.add, _, _), (.check, _, _), (.del, _, _), (.version, _, _):
            preconditionFailure("CNIEnvironment guarantees the variables \(env.command) requires")
        }
    }

    /// The `cniVersion` responses to this request are written in.
    public var responseVersion: CNIVersion {
        switch self {
        case .add(let request), .check(let request): request.config.cniVersion
        case .del(let request): request.config.cniVersion
        case .gc(let request), .status(let request): request.config.cniVersion
        case .version: .latest
        }
    }
}

/// ADD or CHECK of one attachment: the container's netns is known.
public struct AttachmentRequest: Hashable, Sendable {
    /// The `(CNI_CONTAINERID, CNI_IFNAME)` pair, validated.
    public let attachment: CNIAttachment
    /// `CNI_NETNS`, the path of the container's network namespace.
    public let netns: String
    /// `CNI_ARGS`.
    public let args: CNIArgs
    /// `CNI_PATH`, split on `:`.
    public let path: [String]
    /// The plugin configuration from stdin, validated.
    public let config: NetworkConfig
}

/// DEL of one attachment. `netns` is `nil` when the runtime no longer has the namespace; DEL
/// must still release what it can and succeed when things are already gone.
public struct DetachmentRequest: Hashable, Sendable {
    /// The `(CNI_CONTAINERID, CNI_IFNAME)` pair, validated.
    public let attachment: CNIAttachment
    /// `CNI_NETNS`, or `nil` when the runtime gave none.
    public let netns: String?
    /// `CNI_ARGS`.
    public let args: CNIArgs
    /// `CNI_PATH`, split on `:`.
    public let path: [String]
    /// The plugin configuration from stdin, validated.
    public let config: NetworkConfig
}

/// GC or STATUS: about the network, not one attachment. For GC the still-valid attachments
/// are `config.validAttachments` (`nil` when the runtime did not send the list).
public struct NetworkRequest: Hashable, Sendable {
    /// `CNI_PATH`, split on `:`.
    public let path: [String]
    /// The plugin configuration from stdin, validated.
    public let config: NetworkConfig
}
