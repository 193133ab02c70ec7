import NetworkModel
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The store's directory while its lock is held: the file-level operations `DiskStore`'s
/// transactions are made of, and the `AllocationStore` the allocator works against.
///
/// Layout of `<dataDir>/<network>/`: one file per allocated address, named by the address
/// (`10.244.1.5`, `fd00:10:244:1::5`), holding its JSON record; `last_reserved.v4` /
/// `last_reserved.v6`, the round-robin markers; `lock`, the lock file. Names starting with
/// `FileIO.temporaryPrefix` are writes in flight, which cannot exist while we hold the lock, so
/// any we see is a killed writer's leftover and is removed. Other names are ignored.
final class StoreDirectory: AllocationStore {
    let path: String
    /// False for a read without the lock: it then changes nothing (not even leftovers).
    private let locked: Bool
    /// What a read without the lock found for one container, so that only what changed since
    /// is read under the lock (see `ContainerSnapshot`).
    private let snapshot: ContainerSnapshot?
    /// The records this transaction created, to be made durable once the lock is released.
    private(set) var newFiles: [NewFile] = []
    /// The address files as this transaction knows them: read once, then kept up to date.
    private var listing: [(address: IPAddress, name: String)]?

    init(path: String, locked: Bool = true, snapshot: ContainerSnapshot? = nil) {
        self.path = path
        self.locked = locked
        self.snapshot = snapshot
    }

    /// The address files, by address (the directory is read once per transaction). Under the
    /// lock, removes leftover temporary files on the way.
    func addressFiles() throws -> [(address: IPAddress, name: String)] {
        if let listing { return listing }
        var files: [(address: IPAddress, name: String)] = []
        for name in try FileIO.entries(of: path) ?? [] {
            if name.hasPrefix(FileIO.temporaryPrefix) {
                if locked { try FileIO.remove(path + "/" + name) }
            } else if let address = IPAddress(name) {
                files.append((address, name))
            }
        }
        listing = files
        return files
    }

    func takenAddresses() throws -> Set<IPAddress> {
        Set(try addressFiles().map(\.address))
    }

    /// Every record, sorted by address, and every address file that is not a record.
    func contents() throws -> (records: [AllocationRecord], corrupt: [CorruptRecord]) {
        var records: [AllocationRecord] = []
        var corrupt: [CorruptRecord] = []
        for file in try addressFiles() {
            switch try read(file) {
            case .success(let record): records.append(record)
            case .failure(let bad): corrupt.append(bad)
            }
        }
        return (records.sorted { $0.address < $1.address }, corrupt.sorted { $0.address < $1.address })
    }

    func addresses(of attachment: AttachmentID) throws -> [IPAddress] {
        try records(ofContainer: attachment.containerID).filter { $0.attachment == attachment }.map(\.address)
    }

    /// The readable records of `containerID`, in no particular order.
    func records(ofContainer containerID: String) throws -> [AllocationRecord] {
        try files(ofContainer: containerID).map(\.record)
    }

    /// The readable records of `containerID` with their file names.
    ///
    /// Decoding every record is most of the cost of an ADD or DEL; a record's bytes contain the
    /// container ID verbatim when it has no character JSON escapes (CNI restricts IDs to
    /// `[A-Za-z0-9_.-]`), so only the files containing it are decoded. With a snapshot of the
    /// container, only the files it says may have changed are read at all.
    func files(ofContainer containerID: String) throws -> [(name: String, record: AllocationRecord)] {
        let needle = Array(containerID.utf8)
        let verbatim = !needle.isEmpty && needle.allSatisfy {
            (0x20..<0x80).contains($0) && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\")
        }
        let known = snapshot?.containerID == containerID ? snapshot : nil
        var found: [(name: String, record: AllocationRecord)] = []
        for file in try addressFiles() where known?.mustRead(file.name) ?? true {
            guard let bytes = try FileIO.read(path + "/" + file.name) else { continue }
            if verbatim, !Self.bytes(bytes, contain: needle) { continue }
            let decoded = RecordFile.decode(bytes, address: file.address, path: path + "/" + file.name)
            if case .success(let record) = decoded, record.attachment.containerID == containerID {
                found.append((file.name, record))
            }
        }
        return found
    }

    func lastReserved(_ family: IPFamily) throws -> IPAddress? {
        guard let bytes = try FileIO.read(path + "/" + Self.markerName(family)) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }
        return IPAddress(text).flatMap { $0.family == family ? $0 : nil }
    }

    func reserve(_ record: AllocationRecord) throws -> Bool {
        let contents = try RecordFile.encode(record)
        let name = record.address.description
        guard let file = try FileIO.createExclusively(name, in: path, with: contents) else { return false }
        newFiles.append(file)
        listing = try addressFiles() + [(record.address, name)]
        // The marker is only a hint (a lost or torn marker restarts the search at the slice's
        // start; the exclusive create still guards every address), so it skips the fsync.
        try FileIO.replace(Self.markerName(record.address.family), in: path,
                           with: Array(name.utf8), durable: false)
        return true
    }

    func release(_ address: IPAddress) throws {
        for file in try addressFiles() where file.address == address && file.name == address.description {
            _ = try remove(file)
        }
    }

    /// Removes the file of `file`, whatever its name's spelling; `true` when it existed.
    func remove(_ file: (address: IPAddress, name: String)) throws -> Bool {
        let removed = try FileIO.remove(path + "/" + file.name)
        listing = try addressFiles().filter { $0.name != file.name }
        return removed
    }

    /// The record in `file`, or why it is corrupt.
    func read(_ file: (address: IPAddress, name: String)) throws -> Result<AllocationRecord, CorruptRecord> {
        let filePath = path + "/" + file.name
        guard let bytes = try readRecordBytes(filePath) else {
            return .failure(CorruptRecord(address: file.address, path: filePath, reason: "not a regular file"))
        }
        return RecordFile.decode(bytes, address: file.address, path: filePath)
    }

    private func readRecordBytes(_ filePath: String) throws -> [UInt8]? {
        do { return try FileIO.read(filePath) } catch IPAMError.system(_, _, let code) where code == EISDIR {
            return nil
        }
    }

    private static func bytes(_ haystack: [UInt8], contain needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return haystack.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { pin in
                (0...(hay.count - pin.count)).contains { start in
                    hay[start] == pin[0] && memcmp(hay.baseAddress! + start, pin.baseAddress!, pin.count) == 0
                }
            }
        }
    }

    private static func markerName(_ family: IPFamily) -> String { "last_reserved.\(family.rawValue)" }
}
