#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a lock file around a block of work.
///
/// `flock` locks belong to the open file description, so two opens of the file exclude each other
/// whether they are in two processes or two threads of one; the kernel drops the lock when the
/// holder dies, so a killed plugin never leaves the store locked.
enum StoreLock {
    /// Opens (creating) `path`, waits up to `timeout` for the lock, runs `body`, and unlocks.
    /// Waiting polls with a backoff of 1 to 16 ms, so a burst of plugin invocations neither spins
    /// nor waits long after a release. Throws `IPAMError.lockTimeout` when the lock stays held,
    /// `.system` when the file cannot be opened, or what `body` throws.
    static func holding<T>(_ path: String, timeout: Duration, _ body: () throws -> T) throws -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw IPAMError.system(operation: "open", path: path, errno: errno) }
        defer { close(fd) }  // closing the only descriptor of this open drops the lock
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var pauseMicroseconds: UInt32 = 1000
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                throw IPAMError.system(operation: "flock", path: path, errno: code)
            }
            guard clock.now < deadline else {
                let (seconds, attoseconds) = timeout.components
                throw IPAMError.lockTimeout(path: path, seconds: Double(seconds) + Double(attoseconds) / 1e18)
            }
            usleep(pauseMicroseconds)
            pauseMicroseconds = min(pauseMicroseconds * 2, 16_000)
        }
        return try body()
    }
}
