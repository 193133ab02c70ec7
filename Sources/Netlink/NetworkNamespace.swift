import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// Entering a network namespace for a scoped block of synchronous work.
///
/// Why a dedicated thread: `setns(2)` switches only the calling thread, and a Swift task may hop
/// threads at every `await`. So the body runs on a fresh thread that enters the namespace, runs
/// the body, and leaves again before it ends; the caller's thread never changes namespace.
public enum NetworkNamespace {
    /// Runs `body` inside the network namespace at `path` (`/var/run/netns/NAME`,
    /// `/proc/PID/ns/net`) on a dedicated thread, blocking the caller until it finishes, and
    /// returns its result or rethrows its error. The thread is returned to its original namespace
    /// also when `body` throws. `body` must not `await` (it cannot: it is synchronous).
    ///
    /// Throws `NetlinkError.namespace` when `path` cannot be opened or entered (`ENOENT` for a
    /// missing namespace), or when leaving it fails; otherwise whatever `body` throws.
    public static func run<T: Sendable>(at path: String, _ body: () throws -> T) throws -> T {
        var result: Result<T, any Error>?
        try DedicatedThread.run {
            result = Result { try enter(path, body) }
        }
        return try result!.get()
    }

    /// Enters `path`, runs `body`, and returns the calling thread to its original namespace.
    private static func enter<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let original = try NamespaceFile(path: "/proc/thread-self/ns/net")
        let target = try NamespaceFile(path: path)
        guard trellis_enter_netns(target.fd) == 0 else { throw NetlinkError.namespace(path: path, errno: errno) }
        let outcome = Result { try body() }
        guard trellis_enter_netns(original.fd) == 0 else {
            throw NetlinkError.namespace(path: "/proc/thread-self/ns/net", errno: errno)
        }
        return try outcome.get()
    }

    /// The inode of the calling thread's network namespace (what `ls -iL /proc/thread-self/ns/net`
    /// shows); two paths name the same namespace exactly when their inodes match.
    public static func currentInode() throws -> UInt64 {
        try inode(at: "/proc/thread-self/ns/net")
    }

    /// The inode of the network namespace at `path`.
    public static func inode(at path: String) throws -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw NetlinkError.namespace(path: path, errno: errno) }
        return UInt64(info.st_ino)
    }
}

/// A closure run on a thread of its own while the caller waits.
///
/// `@unchecked Sendable`: the caller blocks in `pthread_join` while the thread runs, so the
/// closure and whatever it captures are never touched by two threads at once, and the join
/// orders the thread's writes before the caller's reads.
private final class DedicatedThread: @unchecked Sendable {
    private let work: () -> Void

    private init(_ work: @escaping () -> Void) { self.work = work }

    /// Runs `work` on a new thread and waits for it; throws `NetlinkError.namespace` with the
    /// errno of `pthread_create` when no thread can be started.
    static func run(_ work: () -> Void) throws {
        try withoutActuallyEscaping(work) { work in
            let context = Unmanaged.passRetained(DedicatedThread(work)).toOpaque()
            var thread = pthread_t()
            let code = pthread_create(&thread, nil, dedicatedThreadEntry, context)
            guard code == 0 else {
                Unmanaged<DedicatedThread>.fromOpaque(context).release()
                throw NetlinkError.namespace(path: "(thread)", errno: code)
            }
            pthread_join(thread, nil)
        }
    }

    fileprivate static func start(_ context: UnsafeMutableRawPointer?) {
        Unmanaged<DedicatedThread>.fromOpaque(context!).takeRetainedValue().work()
    }
}

private func dedicatedThreadEntry(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    DedicatedThread.start(context)
    return nil
}

/// An open file descriptor of a network namespace (for IFLA_NET_NS_FD), closed on deinit.
final class NamespaceFile {
    let fd: Int32

    /// Opens `path` read-only; throws `NetlinkError.namespace` (`ENOENT` when missing).
    init(path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NetlinkError.namespace(path: path, errno: errno) }
    }

    deinit { close(fd) }
}
