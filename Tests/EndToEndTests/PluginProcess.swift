import Foundation

/// Runs the built `trellis` binary (or a reference plugin) the way a container runtime does:
/// CNI_* variables in the environment, the config on stdin, inside the node's network namespace.
struct PluginProcess {
    /// The directory holding the release binaries: `TRELLIS_BIN_DIR` (set by `make test`), else
    /// the package's `.build/release`.
    static let binDir: String = ProcessInfo.processInfo.environment["TRELLIS_BIN_DIR"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/release").path

    /// The `trellis` plugin under test.
    static let trellis = binDir + "/trellis"
    /// The operator's CLI under test.
    static let cnictl = binDir + "/cnictl"

    /// The package's `Sources` directory.
    static let sourcesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources").path

    /// Throws `StaleBinary` unless `binary` is newer than every file of the modules it is built
    /// from (directories under `Sources`; all of them when `nil`): end-to-end tests run the
    /// release binaries, and `swift test` alone must not pass on one built before the last change.
    static func verifyFresh(_ binary: String, modules: [String]? = nil) throws {
        let files = FileManager.default
        let built = try files.attributesOfItem(atPath: binary)[.modificationDate] as? Date ?? .distantPast
        for module in try modules ?? files.contentsOfDirectory(atPath: sourcesDir) {
            let root = sourcesDir + "/" + module
            for case let file as String in files.enumerator(atPath: root) ?? NSEnumerator() {
                let changed = try files.attributesOfItem(atPath: root + "/" + file)[.modificationDate] as? Date ?? .distantPast
                if changed > built { throw StaleBinary(binary: binary, source: root + "/" + file) }
            }
        }
    }

    /// `verifyFresh` for the plugin: its own modules.
    static func verifyPluginFresh() throws {
        try verifyFresh(trellis, modules: ["trellis", "CNI", "IPAM", "PodNetwork", "Netlink", "NetworkModel", "CNetlink"])
    }

    /// `verifyFresh` for cnictl: its own modules.
    static func verifyCnictlFresh() throws {
        try verifyFresh(cnictl, modules: ["cnictl", "AgentAPI", "IPAM", "PodNetwork", "Netlink", "NetworkModel", "CNetlink"])
    }

    /// What one invocation printed and returned.
    struct Output {
        var exitCode: Int32
        var stdout: Data

        /// stdout as a JSON object; empty when stdout is empty or not an object.
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: stdout)) as? [String: Any] ?? [:] }
        /// The error code of an error result, if stdout is one.
        var errorCode: Int? { json["code"] as? Int }
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    var executable = PluginProcess.trellis
    /// The network namespace the plugin runs in (the node's), as a path.
    var nodeNamespace: String

    /// Starts the plugin and returns without waiting; `wait` collects the output.
    func start(_ variables: [String: String], stdin: Data) throws -> Running {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        process.arguments = ["--net=\(nodeNamespace)", "--", executable]
        process.environment = variables.merging(["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "CNI_PATH": "/usr/lib/cni"]) { a, _ in a }
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
        return Running(process: process, output: output)
    }

    /// Runs the plugin to completion.
    func run(_ variables: [String: String], stdin: Data) throws -> Output {
        try start(variables, stdin: stdin).wait()
    }

    /// A started plugin process.
    struct Running {
        let process: Process
        let output: Pipe

        func wait() throws -> Output {
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Output(exitCode: process.terminationStatus, stdout: data)
        }

        /// SIGKILL, as when the runtime or the OOM killer ends the plugin mid-way.
        func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}

/// A release binary older than a source it is built from.
struct StaleBinary: Error, CustomStringConvertible {
    let binary: String
    let source: String

    var description: String { "\(binary) is older than \(source): run `make release` (or `make test`)" }
}

/// The CNI variables for one verb on one attachment.
func cniVariables(_ command: String, containerID: String? = nil, netns: String? = nil,
                  ifname: String? = "eth0", args: String? = nil) -> [String: String] {
    var variables = ["CNI_COMMAND": command]
    variables["CNI_CONTAINERID"] = containerID
    variables["CNI_NETNS"] = netns
    if containerID != nil { variables["CNI_IFNAME"] = ifname }
    variables["CNI_ARGS"] = args
    return variables
}
