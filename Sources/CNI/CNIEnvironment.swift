/// The `CNI_*` environment of one invocation, parsed and validated before anything touches a
/// path or a device name. Pure: it reads only the dictionary it is given.
public struct CNIEnvironment: Hashable, Sendable {
    /// `CNI_COMMAND`.
    public let command: CNICommand
    /// `CNI_CONTAINERID` and `CNI_IFNAME`; present for ADD, CHECK and DEL, `nil` otherwise.
    public let attachment: CNIAttachment?
    /// `CNI_NETNS`; present for ADD and CHECK, possibly `nil` for DEL, `nil` otherwise.
    public let netns: String?
    /// `CNI_ARGS` (ADD, CHECK, DEL); empty for other verbs.
    public let args: CNIArgs
    /// `CNI_PATH` split on `:`, empty entries dropped.
    public let path: [String]

    /// Parses `environment` (normally the process environment).
    /// - Throws: `.invalidEnvironment` (4): `CNI_COMMAND` missing or unknown; variables the verb
    ///   requires missing or empty (all of them named); an invalid container ID, interface
    ///   name, netns path or `CNI_ARGS`.
    public init(_ environment: [String: String]) throws(CNIError) {
        func value(_ name: String) -> String? {
            environment[name].flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let verb = value("CNI_COMMAND") else {
            throw CNIError(.invalidEnvironment, "required environment variables missing: CNI_COMMAND")
        }
        guard let command = CNICommand(rawValue: verb) else {
            throw CNIError(.invalidEnvironment, "unknown CNI_COMMAND \"\(verb)\"",
                           details: "expected one of "
                               + CNICommand.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let missing = command.requiredVariables.filter { value($0) == nil }
        guard missing.isEmpty else {
            throw CNIError(.invalidEnvironment, "required environment variables missing: "
                           + missing.joined(separator: ", "))
        }
        self.command = command
        self.path = (value("CNI_PATH") ?? "").split(separator: ":").map(String.init)
        guard command.isPerAttachment,
              let id = value("CNI_CONTAINERID"), let ifname = value("CNI_IFNAME") else {
            (attachment, netns, args) = (nil, nil, CNIArgs())
            return
        }
        attachment = try CNIEnvironment.attachment(id: id, ifname: ifname)
        netns = try value("CNI_NETNS").map { path throws(CNIError) in
            guard !path.utf8.contains(0) else {
                throw CNIError(.invalidEnvironment, "invalid CNI_NETNS", details: "contains NUL")
            }
            return path
        }
        args = try CNIArgs(parsing: value("CNI_ARGS") ?? "")
    }

    private static func attachment(id: String, ifname: String) throws(CNIError) -> CNIAttachment {
        guard let containerID = ContainerID(id) else {
            throw CNIError(.invalidEnvironment, "invalid CNI_CONTAINERID",
                           details: ContainerID.problem(with: id))
        }
        guard let interface = InterfaceName(ifname) else {
            throw CNIError(.invalidEnvironment, "invalid CNI_IFNAME",
                           details: InterfaceName.problem(with: ifname))
        }
        return CNIAttachment(containerID: containerID, ifname: interface)
    }
}
