import Foundation

/// Writes files the way a node's readers need them: a reader (kubelet scanning the conf dir, a
/// runtime executing the plugin) sees the old file or the new one, never a half-written one.
enum AtomicFile {
    /// Writes `data` to a temporary file beside `path`, fsyncs it, sets `mode` and renames it
    /// over `path`.
    static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = "\(directory)/.\((path as NSString).lastPathComponent).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileWriteError(operation: "create", path: temporary, errno: errno) }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0 && fchmod(fd, mode) == 0
        let savedErrno = errno
        close(fd)
        guard written == data.count, synced else {
            unlink(temporary)
            throw FileWriteError(operation: "write", path: temporary, errno: savedErrno)
        }
        guard rename(temporary, path) == 0 else {
            let renameErrno = errno
            unlink(temporary)
            throw FileWriteError(operation: "rename into", path: path, errno: renameErrno)
        }
    }
}

/// A file `AtomicFile` could not write: the step, the path and the errno.
struct FileWriteError: Error, CustomStringConvertible {
    let operation: String
    let path: String
    let errno: Int32

    var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
}
