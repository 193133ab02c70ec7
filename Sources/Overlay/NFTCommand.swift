import FoundationEssentials

/// Runs `nft` (through `ChildProcess`, posix_spawn), in the current network namespace or, through
/// `nsenter --net=PATH`, in another one. A ruleset is handed over as a file, not stdin, so a
/// child that exits early can never leave this process writing to a closed pipe.
public struct NFTCommand: Sendable {
    /// The `nft` executable.
    public let nftPath: String
    /// The namespace to run in; `nil` for the current one.
    public let namespacePath: String?

    /// Runs `nftPath`, in the namespace at `namespacePath` (nil: the current one).
    public init(nftPath: String = "/usr/sbin/nft", namespacePath: String? = nil) {
        self.nftPath = nftPath
        self.namespacePath = namespacePath
    }

    /// Loads `ruleset` as one transaction (`nft -f FILE`). Throws `OverlayError.nft` with
    /// stderr when nft refuses it, `.nftUnavailable` when it cannot run.
    public func load(_ ruleset: String) throws {
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
    public func run(_ arguments: [String]) throws -> String {
        let argv = (namespacePath.map { ["/usr/bin/nsenter", "--net=\($0)", "--"] } ?? []) + [nftPath] + arguments
        let command = argv.joined(separator: " ")
        let outcome: ChildProcess.Outcome
        do {
            outcome = try ChildProcess.run(argv)
        } catch {
            throw OverlayError.nftUnavailable(command: command, reason: "\(error)")
        }
        guard outcome.status == 0 else {
            throw OverlayError.nft(command: command, status: outcome.status,
                                   stderr: String(decoding: outcome.stderr, as: UTF8.self))
        }
        return String(decoding: outcome.stdout, as: UTF8.self)
    }
}
