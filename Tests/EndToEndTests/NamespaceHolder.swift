import Foundation

/// Starts a holder: a `sleep infinity` in network namespace `namespace` (a name under
/// /run/netns) whose mount namespace, private through `ip netns exec`, was set up by the shell
/// commands `setUp` (mounts). Runtimes started with `nsenter -t PID -m -n` share it. Returns once
/// the set-up is done; throws `LabError` when it fails.
func startNamespaceHolder(in namespace: String, setUp: String) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
    process.arguments = ["netns", "exec", namespace, "sh", "-c", setUp + " && echo ready && exec sleep infinity"]
    let ready = Pipe()
    process.standardOutput = ready
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    guard ready.fileHandleForReading.readData(ofLength: 6) == Data("ready\n".utf8) else {
        if process.isRunning { process.terminate() }
        throw LabError(message: "the mount namespace holder in \(namespace) did not start (\(setUp))")
    }
    return process
}
