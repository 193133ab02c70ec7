import IPAM

/// What one garbage collection did: the allocations it freed and the host veths it removed.
public struct GarbageCollection: Sendable {
    /// The freed allocations, sorted by address.
    public var released: [AllocationRecord]
    /// The Trellis host veths no remaining allocation owns, now deleted (those of the freed
    /// allocations, and orphans: a reaper that never ran, a crash between steps).
    public var removedVeths: [HostVeth]
    /// Unreadable records found in the store. Their holders are unknown, so while there are any
    /// no veth is removed (it might be theirs); `cnictl ipam release IP` frees them.
    public var corrupt: [CorruptRecord]
}

extension PodWiring {
    /// Frees the allocations `release` selects in `store` (one transaction), then deletes every
    /// Trellis host veth in the calling thread's namespace that no remaining allocation owns.
    ///
    /// Why the veths are listed before the store is read: ADD reserves its address before it
    /// creates its veth, so every veth in a listing taken first belongs to a record that already
    /// existed, and is spared if that record is still there afterwards; a listing taken after the
    /// store was read could hold the veth of an ADD whose record was not yet read. Deletion is by
    /// name and index, so a veth recreated under the same name since the listing survives.
    /// Throws what `release`, the store or netlink throw; veths deleted before a failure stay
    /// deleted.
    public func collectGarbage(in store: DiskStore,
                               release: (DiskStore) throws -> [AllocationRecord]) throws -> GarbageCollection {
        let candidates = try hostVeths()
        let released = try release(store)
        let (records, corrupt) = try store.list()
        guard corrupt.isEmpty else { return GarbageCollection(released: released, removedVeths: [], corrupt: corrupt) }
        let owned = Set(records.flatMap { record in
            [HostVethName.forAttachment(record.attachment), HostVethName.legacy(containerID: record.attachment.containerID)]
        })
        let orphans = candidates.filter { !owned.contains($0.name) }
        for veth in orphans { try remove(veth) }
        return GarbageCollection(released: released, removedVeths: orphans, corrupt: [])
    }
}
