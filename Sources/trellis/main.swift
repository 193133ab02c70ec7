#if canImport(Glibc)
import Glibc
#endif
import CNI
import FoundationEssentials

// The CNI plugin: the runtime passes the verb in CNI_* variables and the config on stdin; the
// result or error goes to stdout. Everything between is `CNIDispatcher` + `TrellisPlugin`.
// Only FoundationEssentials is linked: full Foundation (with ICU's data) would triple the
// binary and the time every pod's ADD spends starting the process.
if CommandLine.arguments.dropFirst().first == VethReaper.argument {
    exit(VethReaper.reap(CommandLine.arguments))
}
let outcome = CNIDispatcher.run(plugin: TrellisPlugin(), environment: StandardStreams.environment(),
                                stdin: StandardStreams.readInput())
StandardStreams.write(outcome.stdout, to: STDOUT_FILENO)
exit(outcome.exitCode)
