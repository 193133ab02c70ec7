import Glibc
import Synchronization

/// Wakes its reader whenever an entry is created, removed or renamed in a directory or in one
/// of its subdirectories (the IPAM data dir and its network stores), through inotify. Until the
/// directory exists, it watches the nearest existing ancestor and starts watching the
/// directory the moment it appears. A change is a wake-up, not a description: the reader
/// reads the directory again (records are few, and a burst of ADDs coalesces into one read).
///
/// inotify is read on a thread of its own (a blocking `poll`), never on Swift's cooperative
/// pool, which has as many threads as cores and must not lose one to a blocking call.
public enum DirectoryChanges {
    /// A stream that yields once as soon as the watches are in place (read the directory now:
    /// whatever changes after that read wakes the reader again) and then after every change
    /// under `root`; it ends when `root`'s watches cannot be made (inotify exhausted). Dropping
    /// the stream stops the watching thread within half a second.
    public static func stream(of root: String) -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let stopped = Arc(Atomic<Bool>(false))
        continuation.onTermination = { _ in stopped.value.store(true, ordering: .relaxed) }
        let started = detachThread {
            watch(root, stopped: stopped.value) { continuation.yield() }
            continuation.finish()
        }
        if started != 0 {
            continuation.yield()
            continuation.finish()
        }
        return stream
    }

    /// The watching loop: adds the watches, wakes the reader for its first read (a read before
    /// the watches existed could miss what changed in between), then waits for events and
    /// re-adds the watches after each; returns when `stopped` or when inotify fails (after a
    /// last wake, so the reader still reads once).
    private static func watch(_ root: String, stopped: borrowing Atomic<Bool>, changed: () -> Void) {
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard fd >= 0 else {
            changed()
            return
        }
        defer { close(fd) }
        let mask = UInt32(IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var watchedRoot = addWatches(fd, root, mask)
        changed()
        while !stopped.load(ordering: .relaxed) {
            var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pollfd, 1, 500)
            if ready < 0 && errno != EINTR { return }
            guard ready > 0 else { continue }
            // Drain every queued event: they only say "look again".
            while buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
            let nowRoot = addWatches(fd, root, mask)
            if nowRoot || watchedRoot { changed() }
            watchedRoot = nowRoot
        }
    }

    /// Watches `root` and its subdirectories, or, when `root` does not exist, its nearest
    /// existing ancestor. Returns whether `root` itself is watched.
    ///
    /// A directory created after its watch failed but before the watch on its parent was in
    /// place raises no event, so once an ancestor is watched the walk looks again: if the
    /// ancestor's child on the way to `root` exists by now, it starts over (a few times at
    /// most: a child that exists but cannot be watched would loop).
    private static func addWatches(_ fd: Int32, _ root: String, _ mask: UInt32, attempts: Int = 4) -> Bool {
        guard inotify_add_watch(fd, root, mask) >= 0 else {
            var child = root
            while let slash = child.lastIndex(of: "/") {
                let ancestor = slash == child.startIndex ? "/" : String(child[..<slash])
                if inotify_add_watch(fd, ancestor, UInt32(IN_CREATE | IN_MOVED_TO)) >= 0 {
                    let appeared = access(child, F_OK) == 0
                    return appeared && attempts > 1 ? addWatches(fd, root, mask, attempts: attempts - 1) : false
                }
                guard ancestor != "/" else { return false }
                child = ancestor
            }
            return false
        }
        guard let directory = opendir(root) else { return true }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != ".." { _ = inotify_add_watch(fd, root + "/" + name, mask) }
        }
        return true
    }
}

/// A reference to a value that cannot be copied (an `Atomic`), shared between threads.
final class Arc<Value: ~Copyable>: Sendable where Value: Sendable {
    let value: Value
    init(_ value: consuming Value) { self.value = value }
}

/// Runs `body` on a new detached thread; returns pthread_create's result (0: started).
func detachThread(_ body: @escaping @Sendable () -> Void) -> Int32 {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    if result == 0 {
        pthread_detach(thread)
    } else {
        Unmanaged<Box>.fromOpaque(context).release()
    }
    return result
}
