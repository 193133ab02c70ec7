/// One key as etcd stores it, with the revisions and lease etcd reports.
public struct EtcdKeyValue: Hashable, Sendable {
    /// The key (Trellis's keys are UTF-8 paths such as `/trellis/v1/nodes/n1`).
    public var key: String
    /// The value's bytes (empty for a deletion event).
    public var value: [UInt8]
    /// The revision that created the key (0 for a key that does not exist).
    public var createRevision: Int64
    /// The revision of the key's last change.
    public var modRevision: Int64
    /// The lease the key is attached to, 0 for none.
    public var lease: Int64

    /// A key as etcd would report it (revisions and lease default to "none").
    public init(key: String, value: [UInt8], createRevision: Int64 = 0, modRevision: Int64 = 0, lease: Int64 = 0) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.lease = lease
    }

    init(_ wire: WireKeyValue) {
        self.init(key: String(decoding: wire.key.bytes, as: UTF8.self),
                  value: wire.value?.bytes ?? [],
                  createRevision: wire.create_revision?.value ?? 0,
                  modRevision: wire.mod_revision?.value ?? 0,
                  lease: wire.lease?.value ?? 0)
    }
}

/// Which keys a range, delete or watch covers.
public enum EtcdKeySelector: Hashable, Sendable {
    /// Exactly this key.
    case key(String)
    /// Every key starting with this prefix.
    case prefix(String)

    /// The key or prefix, for error messages.
    public var key: String {
        switch self {
        case .key(let key), .prefix(let key): key
        }
    }

    /// The gateway's `range_end`: none for one key; for a prefix, the prefix with its last byte
    /// below 0xff incremented (and what follows dropped), or `\0` (every key) when there is none.
    var rangeEnd: WireBytes? {
        guard case .prefix(let prefix) = self else { return nil }
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xff {
                bytes[bytes.count - 1] = last + 1
                return WireBytes(bytes)
            }
            bytes.removeLast()
        }
        return WireBytes([0])
    }
}

/// What `EtcdClient.range` found: the keys and the store's revision when it answered (a watch
/// from `revision + 1` misses nothing that happened after the range).
public struct EtcdRangeResult: Hashable, Sendable {
    /// The store's revision at the time of the range.
    public var revision: Int64
    /// The keys found, in key order.
    public var kvs: [EtcdKeyValue]

    /// A result of `revision` holding `kvs`.
    public init(revision: Int64, kvs: [EtcdKeyValue]) {
        self.revision = revision
        self.kvs = kvs
    }
}

/// A granted lease.
public struct EtcdLease: Hashable, Sendable {
    /// The lease's ID (never 0).
    public var id: Int64
    /// Its time to live in seconds, as granted or as last refreshed.
    public var ttl: Int64

    /// A lease `id` with `ttl` seconds to live.
    public init(id: Int64, ttl: Int64) {
        self.id = id
        self.ttl = ttl
    }
}
