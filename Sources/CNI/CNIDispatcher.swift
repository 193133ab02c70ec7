import FoundationEssentials
import Glibc

/// What the process does at exit: write `stdout` (possibly empty) and exit with `exitCode`.
public struct CNIOutcome: Hashable, Sendable {
    /// Bytes for stdout: a result, version info, error JSON, or nothing.
    public let stdout: Data
    /// 0 on success, 1 on any error (as the reference plugins exit).
    public let exitCode: Int32
}

/// The whole CNI protocol between the process and a ``CNIPlugin``, without I/O, so that the
/// executable's main is: read stdin, `run`, write `stdout`, exit with `exitCode`.
public enum CNIDispatcher {
    /// Parses the invocation, calls the plugin method of the verb and renders the outcome:
    /// ADD's result, VERSION's info, nothing for CHECK/DEL/GC/STATUS, or the error JSON.
    /// Results and errors use the configuration's `cniVersion`; an error raised before it is
    /// known uses the version stdin names if supported, else ``CNIVersion/latest``.
    public static func run(plugin: some CNIPlugin, environment: [String: String],
                           stdin: Data) -> CNIOutcome {
        let request: CNIRequest
        do {
            request = try CNIRequest.parse(environment: environment, stdin: stdin)
        } catch {
            return failure(error, version: sniffVersion(stdin))
        }
        do {
            return CNIOutcome(stdout: try respond(to: request, plugin: plugin), exitCode: 0)
        } catch {
            return failure(CNIError(mapping: error), version: request.responseVersion)
        }
    }

    private static func respond(to request: CNIRequest, plugin: some CNIPlugin) throws -> Data {
        switch request {
        case .add(let request): return try plugin.add(request).json(version: request.config.cniVersion)
        case .check(let request): try plugin.check(request)
        case .del(let request): try plugin.del(request)
        case .gc(let request): try plugin.gc(request)
        case .status(let request): try plugin.status(request)
        case .version(let info): return info.json()
        }
        return Data()
    }

    private static func failure(_ error: CNIError, version: CNIVersion) -> CNIOutcome {
        CNIOutcome(stdout: error.json(version: version), exitCode: 1)
    }

    /// The supported `cniVersion` stdin names, for errors found before the config is valid.
    private static func sniffVersion(_ stdin: Data) -> CNIVersion {
        struct Probe: Decodable { var cniVersion: String? }
        let text = try? JSONDecoder().decode(Probe.self, from: stdin).cniVersion
        return text.flatMap { $0 }.flatMap(CNIVersion.init(rawValue:)) ?? .latest
    }
}
