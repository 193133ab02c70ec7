#if canImport(Glibc)
import Glibc
#endif

/// Thin POSIX file operations for the store and `node.json`, each turning errno into
/// `IPAMError.system`.
///
/// Why not Foundation: the plugin runs these on every pod ADD, and the atomicity rules need calls
/// Foundation does not expose (`fsync` of a directory, `link` as an exclusive create).
/// Every write goes to a temporary file first (named with `temporaryPrefix`, so a leftover of a
/// killed process is recognisable), is flushed, and only then appears under its final name.
enum FileIO {
    /// Names starting with this are temporary files; a store holding its lock may delete them.
    static let temporaryPrefix = ".tmp."

    /// The whole file, or `nil` when it does not exist.
    static func read(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw IPAMError.system(operation: "open", path: path, errno: errno)
        }
        defer { close(fd) }
        var contents: [UInt8] = []
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { chunk in
            while true {
                let count = Glibc.read(fd, chunk.baseAddress, chunk.count)
                if count < 0, errno == EINTR { continue }
                guard count >= 0 else { throw IPAMError.system(operation: "read", path: path, errno: errno) }
                if count == 0 { return }
                contents.append(contentsOf: chunk[0..<count])
            }
        }
        return contents
    }

    /// Replaces `name` in `directory` atomically: readers see the old or the new contents, never a
    /// mix. With `durable`, the data is on disk before the rename (the directory entry is not:
    /// call `syncDirectory` once after a batch).
    static func replace(_ name: String, in directory: String, with contents: [UInt8], durable: Bool) throws {
        let temporary = try writeTemporary(for: name, in: directory, contents: contents, durable: durable)
        guard rename(temporary, directory + "/" + name) == 0 else {
            let code = errno
            unlink(temporary)
            throw IPAMError.system(operation: "rename", path: directory + "/" + name, errno: code)
        }
    }

    /// Creates `name` in `directory` with `contents`, durably, only if no file of that name exists.
    /// The exclusive `link` is the reservation: of two writers, exactly one gets `true`, and the
    /// file is never visible half-written. Returns `false` when the name is taken.
    static func createExclusively(_ name: String, in directory: String, with contents: [UInt8]) throws -> Bool {
        let temporary = try writeTemporary(for: name, in: directory, contents: contents, durable: true)
        defer { unlink(temporary) }
        guard link(temporary, directory + "/" + name) == 0 else {
            if errno == EEXIST { return false }
            throw IPAMError.system(operation: "link", path: directory + "/" + name, errno: errno)
        }
        return true
    }

    /// Removes a file; `false` when it was not there.
    @discardableResult
    static func remove(_ path: String) throws -> Bool {
        guard unlink(path) == 0 else {
            if errno == ENOENT { return false }
            throw IPAMError.system(operation: "unlink", path: path, errno: errno)
        }
        return true
    }

    /// Makes renames, links and unlinks in `directory` durable.
    static func syncDirectory(_ directory: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw IPAMError.system(operation: "open", path: directory, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw IPAMError.system(operation: "fsync", path: directory, errno: errno) }
    }

    /// Creates `directory` and its missing parents (mode 0755); existing ones are fine.
    static func makeDirectories(_ directory: String) throws {
        var path = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            path += "/" + component
            if mkdir(path, 0o755) != 0, errno != EEXIST {
                throw IPAMError.system(operation: "mkdir", path: path, errno: errno)
            }
        }
    }

    /// Names of the entries of `directory` (without `.` and `..`); `nil` when it does not exist.
    static func entries(of directory: String) throws -> [String]? {
        guard let dir = opendir(directory) else {
            if errno == ENOENT { return nil }
            throw IPAMError.system(operation: "opendir", path: directory, errno: errno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    private static func writeTemporary(for name: String, in directory: String, contents: [UInt8],
                                       durable: Bool) throws -> String {
        let path = "\(directory)/\(temporaryPrefix)\(getpid()).\(name)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IPAMError.system(operation: "create", path: path, errno: errno) }
        var failure: IPAMError?
        var written = 0
        while written < contents.count, failure == nil {
            let count = contents.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0, errno != EINTR { failure = .system(operation: "write", path: path, errno: errno) }
            if count > 0 { written += count }
        }
        if failure == nil, durable, fsync(fd) != 0 { failure = .system(operation: "fsync", path: path, errno: errno) }
        close(fd)
        if let failure {
            unlink(path)
            throw failure
        }
        return path
    }
}
