/// One datastore collection as the list/watch engine drives it: etcd keys under a prefix, or
/// one kind of Kubernetes object. An adapter only translates; what to do when, and every rule
/// about outages, lives once, in `ListWatchEngine`.
protocol ListWatchAdapter: Sendable {
    /// What one object of the collection is translated into. An object that translates to nil
    /// (a Node without a slice yet, a record that does not parse) counts as absent.
    associatedtype Value: Sendable & Equatable
    /// Where a watch resumes: etcd's revision, Kubernetes' resourceVersion.
    associatedtype Cursor: Sendable
    /// An established watch.
    associatedtype Session: WatchSession where Session.Value == Value, Session.Cursor == Cursor

    /// The collection's name for logs (`nodes`).
    var resource: String { get }

    /// A complete, consistent list of the collection and the cursor it reflects. An adapter
    /// that reads the list in pages may hand each page but the last to `page` as it arrives
    /// (the engine passes them on while nothing was listed yet); the listing still holds them.
    func list(page: ([(key: String, value: Value?)]) -> Void) async throws -> Listing<Value, Cursor>

    /// A watch delivering every change after `cursor`; returns once the datastore accepted it.
    func watch(from cursor: Cursor) async throws -> Session

    /// True when `error` says the cursor is too old to resume from (etcd compaction,
    /// Kubernetes 410 Gone): changes were lost, so only a new list can be trusted.
    func isExpired(_ error: any Error) -> Bool
}

/// An established watch: its batches in order.
protocol WatchSession {
    associatedtype Value: Sendable
    associatedtype Cursor: Sendable

    /// The next batch; nil when the datastore ended the watch normally (resume from the last
    /// cursor). Throws when the stream breaks or the datastore reports an error.
    mutating func next() async throws -> WatchBatch<Value, Cursor>?
}

/// A complete list: every object by key (nil: present but unusable) and its cursor.
struct Listing<Value: Sendable, Cursor: Sendable>: Sendable {
    var objects: [(key: String, value: Value?)]
    var cursor: Cursor
}

/// Changes of one or more objects, complete up to `cursor` (nil: the batch moves no cursor).
/// A batch without changes is a bookmark or progress notification.
struct WatchBatch<Value: Sendable, Cursor: Sendable>: Sendable {
    var changes: [(key: String, value: Value?)]
    var cursor: Cursor?
}

/// What a collection's consumer learns, in order. Consumers never see a partial set as a
/// complete one: the collection only moves by a complete list or by the changes of a watch
/// that started where the consumer's view left off. The one partial view is the pages of the
/// first list, marked as such (`.listing`) and completed by the `.listed` that follows them.
public enum CollectionEvent<Value: Sendable>: Sendable {
    /// A page of the first list, read while the rest is still coming (only adapters that
    /// read in pages, and only before anything was listed): these objects exist as `changes`
    /// say, but objects not seen yet may too, so nothing may be withdrawn on the strength of
    /// it. The `.listed` that ends the list carries only what changed since its pages.
    case listing([ObjectChange<Value>])
    /// A complete list was read; `changes` turns what was delivered before into the listed
    /// set (the first one carries every object). Objects gone while the watch was broken
    /// arrive here as removals.
    case listed([ObjectChange<Value>])
    /// Changes from the watch, only the ones that changed a value. Empty when the datastore is
    /// reachable again after `.unavailable` and nothing changed meanwhile.
    case changed([ObjectChange<Value>])
    /// The datastore cannot be reached or refuses the watch; what was delivered still stands,
    /// and the engine keeps retrying.
    case unavailable(reason: String)
}

/// One object's new value; nil when it is gone (deleted, or no longer usable).
public struct ObjectChange<Value: Sendable>: Sendable {
    /// The object's key: a node's name.
    public var key: String
    /// Its new value, or nil when removed.
    public var value: Value?

    /// A change; every property as documented on the type.
    public init(key: String, value: Value?) {
        self.key = key
        self.value = value
    }
}

extension ObjectChange: Equatable where Value: Equatable {}
