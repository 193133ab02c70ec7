#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a lock file around a block of work.
///
/// `flock` locks belong to the open file description, so two opens of the file exclude each other
/// whether they are in two processes or two threads of one; the kernel drops the lock when the
/// holder dies, so a killed plugin never leaves the store locked.
///
/// Why waiting is tricky: a blocking `flock` cannot time out without a signal handler (which a
/// library must not install), and polling with sleeps makes every waiter oversleep every release,
/// which in a burst of ADDs adds up along the queue. So a waiter watches the lock file with
/// inotify and sleeps in `poll` until a close of it: holders unlock before they close, so the
/// close event comes after the lock is free and the waiter retries at once. A holder that dies
/// is closed by the kernel before its lock is dropped, and other tools may hold the lock without
/// a close event at all, so no single wait exceeds `longestWait` before the waiter retries anyway.
enum StoreLock {
    /// The longest a waiter sleeps without retrying (it is woken sooner by a release).
    static let longestWait: Duration = .milliseconds(10)

    /// Opens (creating) `path`, waits up to `timeout` for the lock, runs `body`, and unlocks.
    /// Throws `IPAMError.lockTimeout` when the lock stays held, `.system` when the file cannot be
    /// opened or locked, or what `body` throws.
    static func holding<T>(_ path: String, timeout: Duration, _ body: () throws -> T) throws -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw IPAMError.system(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        try acquire(fd, path: path, timeout: timeout)
        defer { flock(fd, LOCK_UN) }  // before the close above: waiters woken by the close find it free
        return try body()
    }

    private static func acquire(_ fd: Int32, path: String, timeout: Duration) throws {
        if try tryLock(fd, path: path) { return }
        let watch = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        defer { if watch >= 0 { close(watch) } }
        if watch >= 0 { _ = inotify_add_watch(watch, path, UInt32(IN_CLOSE)) }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while try !tryLock(fd, path: path) {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else {
                let (seconds, attoseconds) = timeout.components
                throw IPAMError.lockTimeout(path: path, seconds: Double(seconds) + Double(attoseconds) / 1e18)
            }
            var event = pollfd(fd: watch, events: Int16(POLLIN), revents: 0)  // fd -1: a plain sleep
            _ = poll(&event, 1, milliseconds(min(remaining, longestWait)))
            drain(watch)
        }
    }

    /// One non-blocking attempt; `false` while another open of the file holds the lock.
    private static func tryLock(_ fd: Int32, path: String) throws -> Bool {
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
        let code = errno
        guard code == EWOULDBLOCK || code == EINTR else {
            throw IPAMError.system(operation: "flock", path: path, errno: code)
        }
        return false
    }

    /// Reads every queued inotify event (only their arrival matters).
    private static func drain(_ watch: Int32) {
        guard watch >= 0 else { return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { buffer in
            while read(watch, buffer.baseAddress, buffer.count) > 0 {}
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        return Int32(max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }
}
