import ArgumentParser

/// The root command.
public struct Cnictl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cnictl",
        abstract: "Inspect and repair Trellis on this node.",
        subcommands: [IPAMCommand.self, StatusCommand.self, DiagnoseCommand.self])

    /// An empty command; ArgumentParser fills it from the command line.
    public init() {}
}

/// `cnictl ipam show|gc|release`: the plugin's address store on this node.
struct IPAMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipam",
        abstract: "Show and repair the pod address allocations on this node.",
        subcommands: [ShowCommand.self, GCCommand.self, ReleaseCommand.self])
}
