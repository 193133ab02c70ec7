#if canImport(Glibc)
import Glibc
#endif
import CNI
import Foundation

// The CNI plugin: the runtime passes the verb in CNI_* variables and the config on stdin; the
// result or error goes to stdout. Everything between is `CNIDispatcher` + `TrellisPlugin`.
let stdin = FileHandle.standardInput.readDataToEndOfFile()
let environment = ProcessInfo.processInfo.environment
let outcome = CNIDispatcher.run(plugin: TrellisPlugin(), environment: environment, stdin: stdin)
FileHandle.standardOutput.write(outcome.stdout)
exit(outcome.exitCode)
