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
    static func replace(_ name: String, in directory: String, with contents: [UInt8], durable: Bool,
                        mode: mode_t = 0o644) throws {
        let file = try writeTemporary(for: name, in: directory, contents: contents, mode: mode)
        do {
            if durable { try file.sync() }
            guard rename(file.path, directory + "/" + name) == 0 else {
                throw IPAMError.system(operation: "rename", path: directory + "/" + name, errno: errno)
            }
        } catch {
            unlink(file.path)
            throw error
        }
    }

    /// Creates `name` in `directory` with `contents` only if no file of that name exists, and
    /// returns it, written but not yet durable (`NewFile.sync`), or `nil` when the name is taken.
    /// The exclusive `link` is the reservation: of two writers, exactly one gets the file, and it
    /// is never visible half-written.
    static func createExclusively(_ name: String, in directory: String, with contents: [UInt8]) throws -> NewFile? {
        let file = try writeTemporary(for: name, in: directory, contents: contents)
        defer { unlink(file.path) }
        guard link(file.path, directory + "/" + name) == 0 else {
            if errno == EEXIST { return nil }
            throw IPAMError.system(operation: "link", path: directory + "/" + name, errno: errno)
        }
        return NewFile(path: directory + "/" + name, fd: file.release())
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
                                       mode: mode_t = 0o644) throws -> NewFile {
        let path = "\(directory)/\(temporaryPrefix)\(getpid()).\(name)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw IPAMError.system(operation: "create", path: path, errno: errno) }
        // The creation mode is filtered by the umask; the file must have exactly `mode`.
        guard fchmod(fd, mode) == 0 else {
            let code = errno
            close(fd)
            unlink(path)
            throw IPAMError.system(operation: "chmod", path: path, errno: code)
        }
        let file = NewFile(path: path, fd: fd)
        var written = 0
        while written < contents.count {
            let count = contents.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0, errno != EINTR {
                let code = errno
                unlink(path)
                throw IPAMError.system(operation: "write", path: path, errno: code)
            }
            if count > 0 { written += count }
        }
        return file
    }
}

/// A file this process just wrote, still open. Closed when the value goes away.
final class NewFile {
    /// Its name in the directory.
    let path: String
    private var fd: Int32

    init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Makes the contents durable, and for a file `createExclusively` named, its name too: the
    /// `link` that named it changed the file's own inode (its link count) in the same journal
    /// transaction as the directory entry, and `fsync` of the file commits that transaction
    /// (ext4, xfs and btrfs, where `/var/lib/cni` lives). One fsync per record, no directory
    /// fsync, and none needed under the store's lock.
    func sync() throws {
        guard fsync(fd) == 0 else { throw IPAMError.system(operation: "fsync", path: path, errno: errno) }
    }

    /// Hands the descriptor over (this value no longer closes it).
    fileprivate func release() -> Int32 {
        defer { fd = -1 }
        return fd
    }
}
