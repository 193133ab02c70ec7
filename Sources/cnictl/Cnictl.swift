import ArgumentParser

/// The root command.
public struct Cnictl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cnictl",
        abstract: "Inspect and repair Trellis on this node.",
        subcommands: [IPAMCommand.self, StatusCommand.self, DiagnoseCommand.self, PolicyCommand.self])

    /// An empty command; ArgumentParser fills it from the command line.
    public init() {}

    /// Parses the process's arguments and runs the command they name, exiting with its error.
    /// (`main()` is not used: called from a `main.swift` it can resolve to ArgumentParser's
    /// synchronous entry point, which refuses asynchronous subcommands.)
    public static func runAsMain() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// `cnictl ipam show|gc|release`: the plugin's address store on this node.
struct IPAMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipam",
        abstract: "Show and repair the pod address allocations on this node.",
        subcommands: [ShowCommand.self, GCCommand.self, ReleaseCommand.self])
}
