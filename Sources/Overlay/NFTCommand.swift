import Foundation

/// Runs `nft` (Foundation's `Process`), in the current network namespace or, through
/// `nsenter --net=PATH`, in another one. A ruleset is handed over as a file, not stdin, so a
/// child that exits early can never leave this process writing to a closed pipe.
struct NFTCommand: Sendable {
    /// The `nft` executable.
    let nftPath: String
    /// The namespace to run in; `nil` for the current one.
    let namespacePath: String?

    /// Loads `ruleset` as one transaction (`nft -f FILE`). Throws `OverlayError.nft` with
    /// stderr when nft refuses it, `.nftUnavailable` when it cannot run.
    func load(_ ruleset: String) throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("trellis-nft-\(UUID().uuidString).nft").path
        guard FileManager.default.createFile(atPath: path, contents: Data(ruleset.utf8)) else {
            throw OverlayError.nftUnavailable(command: "nft -f \(path)", reason: "cannot write the ruleset file")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        try run(["-f", path])
    }

    /// Runs `nft ARGUMENTS` and returns its stdout.
    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let argv = (namespacePath.map { ["/usr/bin/nsenter", "--net=\($0)", "--"] } ?? []) + [nftPath] + arguments
        let command = argv.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw OverlayError.nftUnavailable(command: command, reason: "\(error)")
        }
        // Read stderr on its own thread so neither pipe can fill up and stall the child.
        let stderr = PipeReader(errors.fileHandleForReading)
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let message = stderr.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OverlayError.nft(command: command, status: process.terminationStatus,
                                   stderr: String(decoding: message, as: UTF8.self))
        }
        return String(decoding: stdout, as: UTF8.self)
    }
}

/// Reads a pipe to its end on a thread of its own.
/// `@unchecked Sendable`: `data` is written once by the thread before `done.signal()` and
/// read only after `done.wait()`.
private final class PipeReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }.start()
    }

    /// Everything the pipe delivered, once its writer closed it.
    func wait() -> Data {
        done.wait()
        return data
    }
}
