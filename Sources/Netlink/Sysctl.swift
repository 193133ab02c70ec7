#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes `/proc/sys` keys of the calling thread's network namespace (the `net/`
/// keys are per namespace: the agent and the plugin run in the node's).
public enum Sysctl {
    /// The key that turns routing between interfaces on for `family`.
    public static func forwardingKey(ipv6: Bool) -> String {
        ipv6 ? "net/ipv6/conf/all/forwarding" : "net/ipv4/ip_forward"
    }

    /// The value of `key` (e.g. `net/ipv4/ip_forward`) without its newline; nil when it cannot
    /// be read.
    public static func read(_ key: String) -> String? {
        let fd = open("/proc/sys/" + key, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = Glibc.read(fd, &buffer, buffer.count)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }

    /// Sets `key` to `value` unless it already holds it, so the common case costs one read and
    /// no write. Returns whether it wrote. Throws `SysctlError` (e.g. `EROFS` where `/proc/sys`
    /// is mounted read-only, as in a pod without privileges).
    @discardableResult
    public static func ensure(_ key: String, _ value: String) throws(SysctlError) -> Bool {
        if read(key) == value { return false }
        let fd = open("/proc/sys/" + key, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SysctlError(key: key, errno: errno) }
        defer { close(fd) }
        let written = value.withCString { write(fd, $0, strlen($0)) }
        guard written >= 0 else { throw SysctlError(key: key, errno: errno) }
        return true
    }
}

/// A `/proc/sys` key that could not be written.
public struct SysctlError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The key, e.g. `net/ipv4/ip_forward`.
    public var key: String
    /// Why.
    public var errno: Int32

    /// `"sysctl net.ipv4.ip_forward: Read-only file system"`.
    public var description: String {
        "sysctl \(key.split(separator: "/").joined(separator: ".")): \(String(cString: strerror(errno)))"
    }
}
