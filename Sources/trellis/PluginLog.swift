import CNI
import FoundationEssentials
import Glibc
import IPAM

/// The plugin's log: one line per event appended to the config's `logFile` (stderr when none
/// is set), never stdout, which carries the result. Opening the file is deferred to the first
/// line written, so a verb that logs nothing costs nothing.
struct PluginLog {
    private let path: String?
    private let level: NetworkConfig.LogLevel

    init(config: NetworkConfig) {
        path = config.logFile
        level = config.logLevel
    }

    func info(_ message: @autoclosure () -> String) { write(.info, message()) }
    func error(_ message: @autoclosure () -> String) { write(.error, message()) }

    /// Runs `body`; when it throws, logs "`what` failed: ERROR" and rethrows, so every failure
    /// reaches the log on the node and not only the runtime's.
    func failures<T>(of what: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            self.error("\(what()) failed: \(error)")
            throw error
        }
    }

    private func write(_ severity: NetworkConfig.LogLevel, _ message: String) {
        guard severity.isAtLeast(level) else { return }
        let line = "\(UTCTimestamp.string(from: Date())) \(severity.rawValue) [\(getpid())] \(message)\n"
        guard let path else {
            StandardStreams.write(Data(line.utf8), to: STDERR_FILENO)
            return
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = line.withCString { Glibc.write(fd, $0, strlen($0)) }
    }
}

private extension NetworkConfig.LogLevel {
    /// True when a line of this severity passes a log configured at `threshold`.
    func isAtLeast(_ threshold: Self) -> Bool {
        let order = Self.allCases
        return order.firstIndex(of: self)! <= order.firstIndex(of: threshold)!
    }
}
