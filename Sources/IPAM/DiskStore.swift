import NetworkModel
import FoundationEssentials
import Glibc

/// The plugin's IPAM store: reservations as files under `<dataDir>/<network>/`, one per address,
/// every transaction under an exclusive `flock` of `<dataDir>/<network>/lock` (see
/// `StoreDirectory` for the layout).
///
/// Why this is tricky: the plugin runs as many concurrent processes (a burst of pod ADDs), any of
/// which can be killed at any point. Hence: the lock is per open file (works across processes and
/// threads, dropped by the kernel when a holder dies); a reservation is an exclusive `link` of a
/// fully written temporary file, fsynced once linked (a record is never visible half-written,
/// and of two writers only one wins); a killed writer's temporary file is removed by the next
/// transaction;
/// a record that cannot be read keeps its address taken and is reported, never reused.
/// Cost per ADD: before the lock, a read of every record file (only those that mention the
/// container ID are decoded; see `ContainerSnapshot`); under the lock, one directory scan (the
/// free address is picked from it: a taken address costs nothing), reads of the few files that
/// changed since, one exclusive create; then, with the lock released, one fsync per new record.
/// DEL: the same reads and an unlink under the lock, no fsync.
public struct DiskStore: Sendable {
    /// Where the plugin keeps its stores unless configured otherwise.
    public static let defaultDataDir = "/var/lib/cni/trellis"

    /// The CNI network name (the store's directory name).
    public let network: String
    /// `<dataDir>/<network>`.
    public let directory: String
    /// How long a transaction waits for the lock before `IPAMError.lockTimeout`.
    public let lockTimeout: Duration

    /// A store for `network` under `dataDir`. Nothing is touched until the first operation, which
    /// creates the directory if needed.
    /// Throws `IPAMError.invalidNetworkName` unless `network` is 1-255 characters of
    /// `[A-Za-z0-9_.-]` starting with a letter or digit (it becomes a path component).
    public init(dataDir: String = DiskStore.defaultDataDir, network: String,
                lockTimeout: Duration = .seconds(10)) throws {
        guard Self.isValidNetworkName(network) else { throw IPAMError.invalidNetworkName(network) }
        self.network = network
        self.directory = (dataDir.hasSuffix("/") ? String(dataDir.dropLast()) : dataDir) + "/" + network
        self.lockTimeout = lockTimeout
    }

    /// The path of the lock file; other tools that must exclude the plugin `flock` it too.
    public var lockPath: String { directory + "/lock" }

    /// CNI ADD: one address per range for `attachment` (see `Allocator.allocate` for the rules),
    /// in the order of `ranges`. An attachment that already holds addresses in the ranges gets
    /// them back. Throws `IPAMError.invalidRanges`, `.sliceExhausted` (naming the slice),
    /// `.lockTimeout` (CNI code 11), `.system`.
    public func allocate(for attachment: AttachmentID, pod: PodMetadata, ranges: [IPPrefix],
                         now: Date = Date()) throws -> [IPAddress] {
        let snapshot = try ContainerSnapshot.read(directory, containerID: attachment.containerID)
        return try transaction(creating: true, snapshot: snapshot) { store in
            try Allocator.allocate(for: attachment, pod: pod, ranges: ranges, now: now, in: store)
        }
    }

    /// CNI CHECK: the addresses `attachment` holds, sorted. Throws `.lockTimeout`, `.system`.
    public func addresses(of attachment: AttachmentID) throws -> [IPAddress] {
        try transaction(creating: false) { try $0.addresses(of: attachment).sorted() }
    }

    /// Every record sorted by address, and every address file that is not a readable record.
    /// A missing store is empty. Throws `.lockTimeout`, `.system`.
    public func list() throws -> (records: [AllocationRecord], corrupt: [CorruptRecord]) {
        try transaction(creating: false) { try $0.contents() }
    }

    /// Runs `body` on the directory under the lock, then, with the lock released, makes the
    /// records it created durable: one fsync each (see `NewFile.sync`). The caller returns only
    /// after that, while processes waiting for the lock do not queue behind the disk (and their
    /// fsyncs share journal commits). Removals are not synced: what durability protects against
    /// is an operating-system crash, which takes every pod's network namespace with it, so after
    /// one every record is stale whether its removal reached the disk or not (GC frees them);
    /// a new record is synced so that it is never read back torn (a corrupt record keeps its
    /// address until an operator frees it). Without `creating`, a missing directory is passed as
    /// an empty store and not created.
    func transaction<T>(creating: Bool, snapshot: ContainerSnapshot? = nil,
                        _ body: (StoreDirectory) throws -> T) throws -> T {
        if access(directory, F_OK) != 0 {
            guard creating else { return try body(StoreDirectory(path: directory)) }
            try FileIO.makeDirectories(directory)
        }
        let store = StoreDirectory(path: directory, snapshot: snapshot)
        let result = try StoreLock.holding(lockPath, timeout: lockTimeout) { try body(store) }
        for file in store.newFiles { try file.sync() }
        return result
    }

    /// The networks with a store under `dataDir`: its subdirectories named as network names
    /// are. A missing `dataDir` has none. Throws `.system`.
    public static func networks(in dataDir: String) throws -> [String] {
        try (FileIO.entries(of: dataDir) ?? []).filter { name in
            var info = stat()
            return isValidNetworkName(name) && stat(dataDir + "/" + name, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
        }.sorted()
    }

    static func isValidNetworkName(_ name: String) -> Bool {
        func allowed(_ c: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
        }
        let bytes = Array(name.utf8)
        guard let first = bytes.first, allowed(first), bytes.count <= 255 else { return false }
        return bytes.allSatisfy { allowed($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }
}
