/// Writes whole files the way a node's readers need them: a reader (kubelet scanning the conf
/// dir, a runtime executing the plugin, the plugin reading `node.json`) sees the old file or the
/// new one, never a half-written one, and after a crash finds one of the two.
public enum AtomicFile {
    /// Writes `contents` to `path`: a temporary file beside it, fsynced, with exactly `mode`,
    /// renamed over `path`, then the directory fsynced; creates the directory if needed.
    /// Throws `IPAMError.system` naming the step and the path.
    public static func write(_ contents: [UInt8], to path: String, mode: UInt32 = 0o644) throws {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        try FileIO.makeDirectories(directory)
        try FileIO.replace(name, in: directory, with: contents, durable: true, mode: mode)
        try FileIO.syncDirectory(directory)
    }
}
