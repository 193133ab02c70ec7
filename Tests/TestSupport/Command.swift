import Foundation

/// A command that exited non-zero (or could not start): its argv, exit status and stderr.
public struct CommandError: Error, CustomStringConvertible {
    /// The command line that failed.
    public let argv: [String]
    /// Its exit status.
    public let status: Int32
    /// What it wrote to stderr.
    public let stderr: String

    /// "`argv` exited STATUS: STDERR".
    public var description: String {
        "`\(argv.joined(separator: " "))` exited \(status): \(stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
    }
}

/// Command output that is not the JSON array of objects `ip -j` prints.
public struct UnexpectedOutput: Error {
    /// The start of the output.
    public let text: String
}

/// Runs `argv` (the first element looked up in PATH), feeding it `input` on stdin, and returns
/// its stdout. Throws `CommandError` with stderr when it exits non-zero.
@discardableResult
public func run(_ argv: [String], input: String? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = argv
    let stdout = Pipe()
    let stderr = Pipe()
    let stdin = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    // Read stderr on its own thread so neither pipe can fill up and stall the child.
    let errors = ErrorCollector()
    let reader = Thread { errors.data = stderr.fileHandleForReading.readDataToEndOfFile(); errors.done.signal() }
    reader.start()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    errors.done.wait()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CommandError(argv: argv, status: process.terminationStatus,
                           stderr: String(decoding: errors.data, as: UTF8.self))
    }
    return String(decoding: output, as: UTF8.self)
}

/// Parses the JSON that `ip -j` / `bridge -j` print: an array of objects (`[]` for empty output).
public func jsonObjects(_ text: String) throws -> [[String: Any]] {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !trimmed.isEmpty else { return [] }
    guard let objects = try JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [[String: Any]] else {
        throw UnexpectedOutput(text: String(trimmed.prefix(200)))
    }
    return objects
}

/// stderr of a child, written by the reader thread before it signals `done`.
/// `@unchecked Sendable`: `data` is written once before `done.signal()` and read after `wait()`.
private final class ErrorCollector: @unchecked Sendable {
    var data = Data()
    let done = DispatchSemaphore(value: 0)
}

/// Starts `executable ARGUMENTS` with stdin from /dev/null and stdout and stderr appended to the
/// file `log` (created if missing), for daemons a test runs; returns the running process.
public func startAppendingOutput(to log: String, _ executable: String, _ arguments: [String]) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if !FileManager.default.fileExists(atPath: log) {
        _ = FileManager.default.createFile(atPath: log, contents: nil)
    }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    defer { try? handle.close() }
    handle.seekToEndOfFile()
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return process
}
