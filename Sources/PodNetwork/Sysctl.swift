#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes `/proc/sys` keys of the calling thread's network namespace.
enum Sysctl {
    /// Sets `key` (e.g. `net/ipv4/ip_forward`) to `value` unless it already holds it, so the
    /// common case costs one read and no write.
    static func ensure(_ key: String, _ value: String) throws {
        let path = "/proc/sys/" + key
        if read(path) == value { return }
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PodNetworkError.sysctl(key: key, errno: errno) }
        defer { close(fd) }
        let written = value.withCString { write(fd, $0, strlen($0)) }
        guard written >= 0 else { throw PodNetworkError.sysctl(key: key, errno: errno) }
    }

    private static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = Glibc.read(fd, &buffer, buffer.count)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self).trimmingTrailingNewline
    }
}

private extension String {
    var trimmingTrailingNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}
