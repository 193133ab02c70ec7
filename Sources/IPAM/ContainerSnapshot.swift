/// One container's records as a read of the store *without* its lock found them, so that the
/// transaction that follows reads under the lock only what may have changed since: CNI ADD and
/// DEL must find the container's records among all of the node's, and reading every record file
/// while holding the lock made a burst of ADDs queue behind each other's reads.
///
/// Why this is sound: a record file is never changed in place (it appears by an exclusive
/// `link` of a complete file and goes by `unlink`). Under the lock the transaction lists the
/// directory again and reads every name the snapshot did not see and every name that held the
/// container's records; a name the snapshot saw holding another container's record could hold
/// this container's now only if it had been removed and recreated for this container in
/// between, by a concurrent ADD of the same container, which the CNI spec rules out ("the
/// runtime must not invoke parallel operations for the same container").
struct ContainerSnapshot {
    /// The container the snapshot is of.
    let containerID: String
    /// Every address file name the read saw.
    let names: Set<String>
    /// The names that held the container's records.
    let containerNames: Set<String>

    /// Reads `directory` without its lock (changing nothing); a missing directory is empty.
    static func read(_ directory: String, containerID: String) throws -> ContainerSnapshot {
        let unlocked = StoreDirectory(path: directory, locked: false)
        let found = try unlocked.files(ofContainer: containerID)
        return ContainerSnapshot(containerID: containerID, names: Set(try unlocked.addressFiles().map(\.name)),
                                 containerNames: Set(found.map(\.name)))
    }

    /// True when a transaction must read `name` itself.
    func mustRead(_ name: String) -> Bool {
        !names.contains(name) || containerNames.contains(name)
    }
}
