extension EtcdClient {
    /// Removes node `name`'s records (what `trellisd uninstall` needs, with nothing but the
    /// endpoints): revokes the node record's lease, then deletes the node key and every slice lock
    /// that holds the same record (records written without a lease included). Returns false when
    /// there was no node record. Throws `.invalidNodeName` or the client's errors.
    @discardableResult
    public func withdrawNode(named name: String) async throws -> Bool {
        guard EtcdKeys.isValidNodeName(name) else { throw EtcdError.invalidNodeName(name) }
        let nodeKey = EtcdKeys.node(name)
        guard let existing = try await range(.key(nodeKey)).kvs.first else { return false }
        if existing.lease != 0 {
            try await revokeLease(existing.lease)
        }
        for slice in (try? EtcdNodeRecord(bytes: existing.value))?.slices ?? [] {
            let lockKey = EtcdKeys.subnet(slice)
            if let lock = try await range(.key(lockKey)).kvs.first, lock.value == existing.value {
                try await delete(.key(lockKey))
            }
        }
        try await delete(.key(nodeKey))
        return true
    }
}
