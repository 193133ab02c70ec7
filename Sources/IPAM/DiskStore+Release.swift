import NetworkModel
import FoundationEssentials
import Glibc

/// Freeing addresses: CNI DEL, CNI GC, and the operator's `cnictl ipam release|gc`. Each call is
/// one transaction; freeing what is not allocated is not an error.
extension DiskStore {
    /// CNI DEL: frees what `containerID` + `ifname` holds and returns those addresses, sorted
    /// (empty when it held none). Throws `.lockTimeout`, `.system`.
    @discardableResult
    public func release(containerID: String, ifname: String) throws -> [IPAddress] {
        try release(inContainer: containerID) { $0.attachment.ifname == ifname }
    }

    /// Frees every address of `containerID`, whatever the interface; returns them, sorted.
    @discardableResult
    public func release(containerID: String) throws -> [IPAddress] {
        try release(inContainer: containerID) { _ in true }
    }

    /// Frees `address`, also when its record is corrupt; `false` when it was not allocated.
    @discardableResult
    public func release(address: IPAddress) throws -> Bool {
        try transaction(creating: false) { store in
            try store.addressFiles().filter { $0.address == address }.reduce(false) { try store.remove($1) || $0 }
        }
    }

    /// Frees the addresses of the one container whose ID is or starts with `prefix` (as
    /// `cnictl ipam show` prints IDs shortened) and returns their records; none when nothing
    /// matches. Throws `IPAMError.ambiguousContainerID` when `prefix` matches several containers
    /// and none exactly.
    public func release(containerIDPrefix prefix: String) throws -> [AllocationRecord] {
        guard !prefix.isEmpty else { return [] }
        return try transaction(creating: false) { store in
            let records = try store.contents().records
            let ids = Set(records.map(\.attachment.containerID).filter { $0.hasPrefix(prefix) })
            guard ids.count <= 1 || ids.contains(prefix) else {
                throw IPAMError.ambiguousContainerID(prefix: prefix, candidates: ids.sorted())
            }
            let target = ids.contains(prefix) ? prefix : ids.first
            return try remove(records.filter { $0.attachment.containerID == target }, from: store)
        }
    }

    /// CNI GC: frees every allocation whose attachment is not in `validAttachments` and returns
    /// the freed records. Corrupt records are kept (their holder is unknown).
    public func gc(keeping validAttachments: Set<AttachmentID>) throws -> [AllocationRecord] {
        try release { !validAttachments.contains($0.attachment) }
    }

    /// `cnictl ipam gc`: frees every allocation whose recorded network namespace path no longer
    /// exists (`netnsExists` false) and returns the freed records. A record with an empty netns
    /// path is kept. Only meaningful where the runtime's netns paths are visible (the host's
    /// mount namespace): elsewhere every path looks gone. So when every allocation that has a
    /// path would go, nothing is freed and `IPAMError.noNetnsVisible` is thrown, unless `force`.
    public func releaseOrphans(force: Bool = false,
                               netnsExists: (String) -> Bool = { access($0, F_OK) == 0 }) throws -> [AllocationRecord] {
        try transaction(creating: false) { store in
            let withPath = try store.contents().records.filter { !$0.pod.netns.isEmpty }
            let orphans = withPath.filter { !netnsExists($0.pod.netns) }
            guard force || orphans.isEmpty || orphans.count < withPath.count else {
                throw IPAMError.noNetnsVisible(count: orphans.count)
            }
            return try remove(orphans, from: store)
        }
    }

    /// Frees every allocation `shouldRelease` selects, in one transaction; returns the freed
    /// records, sorted by address. Corrupt records are never passed to it.
    public func release(where shouldRelease: (AllocationRecord) -> Bool) throws -> [AllocationRecord] {
        try transaction(creating: false) { store in
            try remove(store.contents().records.filter(shouldRelease), from: store)
        }
    }

    /// Frees the records of `containerID` that `shouldRelease` selects, reading only that
    /// container's records (the fast path of CNI DEL); returns their addresses, sorted.
    private func release(inContainer containerID: String,
                         where shouldRelease: (AllocationRecord) -> Bool) throws -> [IPAddress] {
        let snapshot = try ContainerSnapshot.read(directory, containerID: containerID)
        return try transaction(creating: false, snapshot: snapshot) { store in
            try remove(store.records(ofContainer: containerID).filter(shouldRelease), from: store).map(\.address).sorted()
        }
    }

    private func remove(_ records: [AllocationRecord], from store: StoreDirectory) throws -> [AllocationRecord] {
        for record in records { try store.release(record.address) }
        return records
    }
}
