import Logging

/// The one list → watch → resume/relist loop under every datastore and every collection (the
/// reflector pattern of client-go, and what etcd's clients do by hand): list the collection,
/// hand the consumer what changed, watch from the list's cursor, hand on each change.
///
/// Why this is tricky:
/// - Nothing may be lost or invented. The consumer's view moves only by a complete list
///   (delivered as the difference from what it had) or by the changes of a watch that resumed
///   exactly where the view left off; an expired cursor (etcd compaction, 410 Gone) means
///   changes were lost, so the engine lists again and hands on the difference, removals of
///   objects that vanished meanwhile included.
/// - An outage is not a change: while the datastore is unreachable the engine reports
///   `.unavailable`, backs off (jittered, capped) and resumes from the last cursor; the
///   consumer keeps what it has. The first success after an outage is reported (an empty
///   `.changed` if nothing else), so the consumer knows the datastore is back.
/// - A fleet must not hammer a recovering server: every retry backs off, a watch the server
///   ends at once is not reopened in a tight loop, and a relist that expires again at once
///   waits before listing again.
/// - Work per event is the change, not the collection: values are compared per object, and
///   an update that changes nothing the consumer sees (a Node's heartbeat) is not passed on.
struct ListWatchEngine<Adapter: ListWatchAdapter>: Sendable {
    let adapter: Adapter
    let retry: RetryPolicy
    let logger: Logger

    /// The engine's events as a stream that runs the engine while it is iterated and stops it
    /// when the stream is dropped. Unbounded: events carry changes, none may be dropped (a
    /// consumer keeps up, since each event costs it its changes).
    func events() -> AsyncStream<CollectionEvent<Adapter.Value>> {
        let (stream, continuation) = AsyncStream.makeStream(of: CollectionEvent<Adapter.Value>.self)
        let task = Task {
            await run { continuation.yield($0) }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Runs until the task is cancelled, passing every event to `yield`.
    func run(_ yield: (CollectionEvent<Adapter.Value>) -> Void) async {
        var view = CollectionView<Adapter.Value>()
        var cursor: Adapter.Cursor?
        var backoff = Backoff(retry)
        var expiredInARow = 0
        var reportedUnavailable = false
        var listedOnce = false
        while !Task.isCancelled {
            do {
                if cursor == nil {
                    if expiredInARow > 1 { try await backoff.wait() }
                    // Until a first list is complete, its pages are passed on as they come (a
                    // large cluster's consumer starts its work before the last one arrives);
                    // the view takes them in, so `.listed` carries only what changed since.
                    let listing = try await adapter.list { page in
                        guard !listedOnce else { return }
                        let changes = view.apply(page)
                        if !changes.isEmpty { yield(.listing(changes)) }
                    }
                    cursor = listing.cursor
                    listedOnce = true
                    yield(.listed(view.replace(with: listing.objects)))
                    reportedUnavailable = false
                }
                guard let from = cursor else { continue }
                var session = try await adapter.watch(from: from)
                if reportedUnavailable {
                    yield(.changed([]))
                    reportedUnavailable = false
                }
                var delivered = false
                while let batch = try await session.next() {
                    delivered = true
                    expiredInARow = 0
                    backoff.reset()
                    if let next = batch.cursor { cursor = next }
                    let changes = view.apply(batch.changes)
                    if !changes.isEmpty { yield(.changed(changes)) }
                }
                // Ended by the server: resume, but not in a tight loop if it ends every watch at once.
                if !delivered { try await backoff.wait() }
            } catch where adapter.isExpired(error) {
                expiredInARow += 1
                logger.info("\(adapter.resource) watch expired; listing again", metadata: ["error": "\(error)"])
                cursor = nil
            } catch {
                if Task.isCancelled || error is CancellationError { return }
                logger.warning("datastore unavailable; keeping the last \(adapter.resource)", metadata: ["error": "\(error)"])
                yield(.unavailable(reason: "\(error)"))
                reportedUnavailable = true
                do {
                    try await backoff.wait()
                } catch {
                    return
                }
            }
        }
    }
}

/// The objects the consumer has been told about, by key: what turns lists and watch batches
/// into the changes that matter. Pure.
struct CollectionView<Value: Sendable & Equatable> {
    private(set) var objects: [String: Value] = [:]

    /// Replaces the view with a complete list; returns the changes from the old view, ordered
    /// by key.
    mutating func replace(with listed: [(key: String, value: Value?)]) -> [ObjectChange<Value>] {
        var next: [String: Value] = Dictionary(minimumCapacity: listed.count)
        for (key, value) in listed {
            if let value { next[key] = value }
        }
        var changes = next.compactMap { key, value in objects[key] == value ? nil : ObjectChange(key: key, value: value) }
        changes += objects.keys.filter { next[$0] == nil }.map { ObjectChange(key: $0, value: nil) }
        objects = next
        return changes.sorted { $0.key < $1.key }
    }

    /// Applies a watch batch in order; returns the changes that changed the view, one per key
    /// (its last value), in the order of their first change.
    mutating func apply(_ batch: [(key: String, value: Value?)]) -> [ObjectChange<Value>] {
        var changed: [String] = []
        var latest: [String: Value?] = [:]
        for (key, value) in batch where objects[key] != value {
            objects[key] = value
            if latest.updateValue(value, forKey: key) == nil { changed.append(key) }
        }
        return changed.map { ObjectChange(key: $0, value: latest[$0] ?? nil) }
    }
}
