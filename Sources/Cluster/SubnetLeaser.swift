import NetworkModel
import Logging

/// Leases a node's slice out of the pool in etcd: the protocol of DESIGN.md, "Cluster data".
///
/// Why this is tricky: many agents start at once and all compute the same first free slice, a
/// request that timed out may still have been applied, and a lease can expire between reading
/// it and writing with it. So every write is one transaction whose conditions say what was read
/// (the slice's lock key absent or unchanged, the node key absent or unchanged) and which writes
/// both keys under one lease; a failed transaction tells from the keys it read back whether it
/// had in fact won (the lock holds our lease), lost the slice (try the next free one) or lost the
/// node key (start over).
///
/// 1. `/trellis/v1/nodes/<name>` exists with a usable record → reuse its slice and, if still
///    alive, its lease (else grant one), provided the slice's lock is free or holds this node's
///    record (same lease or same bytes).
/// 2. Otherwise grant a lease and take the first free slice (`preferring` first) with
///    create-if-absent on its lock, moving to the next on a lost race.
struct SubnetLeaser: Sendable {
    let client: EtcdClient
    let pool: SlicePool
    /// The TTL, in seconds, of leases this leaser grants.
    let leaseTTL: Int64
    let logger: Logger

    /// Rounds of "read, then write under conditions" before giving up with `.contention`.
    static let maximumAttempts = 16

    private enum Attempt {
        case claimed(NodeLease)
        case retry
    }

    /// Claims a slice for `registration` (the same one again when its node key still names one)
    /// and writes both records under one lease. Throws `.poolExhausted` when no slice is free,
    /// `.invalidNodeName`, `.contention`, or the client's errors.
    func acquire(_ registration: NodeRegistration, preferring preferred: IPPrefix? = nil) async throws -> NodeLease {
        guard EtcdKeys.isValidNodeName(registration.name) else { throw EtcdError.invalidNodeName(registration.name) }
        let nodeKey = EtcdKeys.node(registration.name)
        var granted: EtcdLease?
        var preferred = preferred
        for _ in 0..<Self.maximumAttempts {
            let existing = try await client.range(.key(nodeKey)).kvs.first
            do {
                if let existing, let slice = reusableSlice(of: existing, name: registration.name) {
                    preferred = slice
                    if case .claimed(let lease) = try await reclaim(slice, existing: existing, for: registration, granted: &granted) {
                        return lease
                    }
                    continue
                }
                if case .claimed(let lease) = try await claimFree(for: registration, existing: existing,
                                                                   preferring: preferred, granted: &granted) {
                    return lease
                }
            } catch EtcdError.requestRejected(_, _, _, _, let code, _) where code == grpcNotFound {
                // The lease expired between reading and writing: start over with a new one.
                granted = nil
            }
        }
        throw EtcdError.contention(key: nodeKey, attempts: Self.maximumAttempts)
    }

    /// The slice a stored node record names, when it is one of this pool's.
    private func reusableSlice(of kv: EtcdKeyValue, name: String) -> IPPrefix? {
        guard let record = try? EtcdNodeRecord(bytes: kv.value), let slice = record.slice, pool.isSlice(slice) else {
            logger.warning("replacing an unusable etcd record", metadata: ["key": "\(kv.key)"])
            return nil
        }
        return slice
    }

    /// Path 1: writes both keys again for the slice the node key names.
    private func reclaim(_ slice: IPPrefix, existing: EtcdKeyValue, for registration: NodeRegistration,
                         granted: inout EtcdLease?) async throws -> Attempt {
        let lockKey = EtcdKeys.subnet(slice)
        let lock = try await client.range(.key(lockKey)).kvs.first
        if let lock, !(existing.lease != 0 && lock.lease == existing.lease), lock.value != existing.value {
            logger.warning("this node's old slice is held by another record; leasing a new one",
                           metadata: ["slice": "\(slice)", "node": "\(registration.name)"])
            return try await claimFree(for: registration, existing: existing, preferring: nil, granted: &granted)
        }
        var lease: EtcdLease
        if existing.lease != 0, let ttl = try await client.timeToLive(lease: existing.lease) {
            lease = EtcdLease(id: existing.lease, ttl: ttl)
        } else {
            lease = try await grantOnce(&granted)
        }
        let conditions: [EtcdCondition] = [
            lock.map { .modRevision(lockKey, equals: $0.modRevision) } ?? .absent(lockKey),
            .modRevision(existing.key, equals: existing.modRevision),
        ]
        let result = try await client.transaction(if: conditions, then: puts(registration, slice, lease.id))
        guard result.succeeded || holdsBoth(result, lockKey: lockKey, nodeKey: existing.key, lease: lease.id) else {
            return .retry
        }
        if lease.id == existing.lease {
            lease = try await client.keepAlive(lease: lease.id)
        }
        logger.info("reclaimed this node's slice", metadata: ["slice": "\(slice)", "lease": "\(lease.id)"])
        return .claimed(nodeLease(registration, slice, lease))
    }

    /// Path 2: takes the first free slice, racing other agents through create-if-absent.
    private func claimFree(for registration: NodeRegistration, existing: EtcdKeyValue?, preferring preferred: IPPrefix?,
                           granted: inout EtcdLease?) async throws -> Attempt {
        let nodeKey = EtcdKeys.node(registration.name)
        let nodeCondition: EtcdCondition = existing.map { .modRevision(nodeKey, equals: $0.modRevision) } ?? .absent(nodeKey)
        let lease = try await grantOnce(&granted)
        let locks = try await client.range(.prefix(EtcdKeys.subnetsPrefix)).kvs
        var taken = Set(locks.compactMap { EtcdKeys.slice(fromKey: $0.key) })
        while let slice = pool.firstFree(excluding: taken, preferring: preferred) {
            let lockKey = EtcdKeys.subnet(slice)
            let result = try await client.transaction(if: [.absent(lockKey), nodeCondition],
                                                      then: puts(registration, slice, lease.id))
            if result.succeeded || holdsBoth(result, lockKey: lockKey, nodeKey: nodeKey, lease: lease.id) {
                logger.info("leased a slice", metadata: ["slice": "\(slice)", "lease": "\(lease.id)"])
                return .claimed(nodeLease(registration, slice, lease))
            }
            if result.current[nodeKey]?.modRevision != existing?.modRevision {
                return .retry
            }
            taken.insert(slice)
        }
        _ = try? await client.revokeLease(lease.id)
        granted = nil
        throw EtcdError.poolExhausted(clusterCIDR: pool.clusterCIDR, sliceLength: pool.sliceLength)
    }

    /// The lease this `acquire` granted, granting it on first use (so retries don't leak leases).
    private func grantOnce(_ granted: inout EtcdLease?) async throws -> EtcdLease {
        if let granted { return granted }
        let lease = try await client.grantLease(ttl: leaseTTL)
        granted = lease
        return lease
    }

    /// True when a failed transaction's read-back shows both keys under `lease`: a retry of a
    /// transaction that had been applied already.
    private func holdsBoth(_ result: EtcdTransactionResult, lockKey: String, nodeKey: String, lease: Int64) -> Bool {
        result.current[lockKey]?.lease == lease && result.current[nodeKey]?.lease == lease
    }

    private func puts(_ registration: NodeRegistration, _ slice: IPPrefix, _ lease: Int64) -> [EtcdPut] {
        let value = EtcdNodeRecord(registration, slice: slice).bytes
        return [EtcdPut(key: EtcdKeys.subnet(slice), value: value, lease: lease),
                EtcdPut(key: EtcdKeys.node(registration.name), value: value, lease: lease)]
    }

    private func nodeLease(_ registration: NodeRegistration, _ slice: IPPrefix, _ lease: EtcdLease) -> NodeLease {
        NodeLease(node: ClusterNode(name: registration.name, podCIDRs: [slice], publicIP: registration.publicIP,
                                    vtepMAC: registration.vtepMAC, backend: registration.backend),
                  leaseID: lease.id, ttl: lease.ttl)
    }
}
