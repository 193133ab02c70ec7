import ArgumentParser
import CnictlCommands
import FoundationEssentials
import Logging

/// The node agent: `run` keeps this node's datapath in step with the cluster; `install-cni`
/// puts the plugin and its conflist on the host; `uninstall` removes what Trellis created.
@main
struct Trellisd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trellisd",
        abstract: "Trellis node agent: learns every node from the datastore and programs the routes, VXLAN entries and masquerade rules that connect pods across nodes.",
        subcommands: [RunCommand.self, InstallCNICommand.self, UninstallCommand.self])

    /// Logs go to stderr (the pod's log), one line per event. Every flag also reads `TRELLIS_<FLAG>` from the environment (and `--node-name` reads
    /// `NODE_NAME` from the downward API): a flag on the command line wins.
    ///
    /// Started as `cnictl` (the image links that name to this executable), it is cnictl.
    static func main() async {
        if CommandLine.arguments.first?.split(separator: "/").last == "cnictl" {
            await Cnictl.runAsMain()
            return
        }
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let arguments = EnvironmentArguments.expand(Array(CommandLine.arguments.dropFirst()),
                                                    environment: ProcessInfo.processInfo.environment)
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch is CancellationError {
            // SIGTERM or SIGINT cancelled the services: a graceful stop, so exit 0 (kubelet
            // records anything else as a failed container at every rolling update and drain).
        } catch {
            exit(withError: error)
        }
    }
}
