/// One change of a watched key.
public struct EtcdEvent: Hashable, Sendable {
    /// What happened to the key.
    public enum Kind: Hashable, Sendable {
        /// Created or changed: `kv` holds the new value.
        case put
        /// Deleted (or its lease expired): `kv` holds the key and the deleting revision only.
        case delete
    }

    /// Put or delete.
    public var kind: Kind
    /// The key after the change (for a delete: the key and the deleting revision).
    public var kv: EtcdKeyValue

    /// An event of `kind` on `kv`.
    public init(kind: Kind, kv: EtcdKeyValue) {
        self.kind = kind
        self.kv = kv
    }
}

/// One result of a watch stream: the events of one or more revisions, in order.
public struct EtcdWatchBatch: Hashable, Sendable {
    /// Every change up to this revision has been delivered: to resume a broken watch, watch
    /// again from the last batch's revision plus one. The store's revision when the result was
    /// sent, except for the first batch, where it is the start revision minus one.
    public var revision: Int64
    /// The changes, oldest first. Empty for the first batch, which confirms that the watch is
    /// established, and for progress notifications.
    public var events: [EtcdEvent]

    /// A batch delivering `events`, complete up to `revision`.
    public init(revision: Int64, events: [EtcdEvent]) {
        self.revision = revision
        self.events = events
    }
}
