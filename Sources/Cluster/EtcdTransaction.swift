/// A condition of an `EtcdClient.transaction`, on one key.
public enum EtcdCondition: Hashable, Sendable {
    /// The key does not exist (its create revision is 0): the create-if-absent lock.
    case absent(String)
    /// The key's last change was at this revision: nobody wrote it since it was read.
    case modRevision(String, equals: Int64)

    /// The key the condition is about.
    public var key: String {
        switch self {
        case .absent(let key), .modRevision(let key, _): key
        }
    }

    var wire: WireCompare {
        switch self {
        case .absent(let key):
            WireCompare(key: WireBytes(key), target: "CREATE", result: "EQUAL", create_revision: WireInt64(0))
        case .modRevision(let key, let revision):
            WireCompare(key: WireBytes(key), target: "MOD", result: "EQUAL", mod_revision: WireInt64(revision))
        }
    }
}

/// One write of a transaction (or of `EtcdClient.put`).
public struct EtcdPut: Hashable, Sendable {
    /// The key to write.
    public var key: String
    /// The bytes to store.
    public var value: [UInt8]
    /// The lease to attach the key to, 0 for none.
    public var lease: Int64

    /// A write of `value` to `key`, attached to `lease` unless it is 0.
    public init(key: String, value: [UInt8], lease: Int64 = 0) {
        self.key = key
        self.value = value
        self.lease = lease
    }

    var wire: WirePutRequest {
        WirePutRequest(key: WireBytes(key), value: WireBytes(value), lease: lease == 0 ? nil : WireInt64(lease))
    }
}

/// The outcome of `EtcdClient.transaction`.
public struct EtcdTransactionResult: Hashable, Sendable {
    /// True when every condition held and every put was applied, atomically.
    public var succeeded: Bool
    /// The store's revision after the transaction.
    public var revision: Int64
    /// When the transaction failed: each condition's key as it stands now (absent keys are
    /// missing), so the caller can tell which condition broke. Empty when it succeeded.
    public var current: [String: EtcdKeyValue]

    /// An outcome; `current` only matters when it failed.
    public init(succeeded: Bool, revision: Int64, current: [String: EtcdKeyValue] = [:]) {
        self.succeeded = succeeded
        self.revision = revision
        self.current = current
    }
}
