import NetworkModel
import Logging

/// Leases a node's slices (one per pool: IPv4, and IPv6 on a dual-stack cluster) in etcd: the
/// protocol of DESIGN.md, "Cluster data".
///
/// Why this is tricky: many agents start at once and all compute the same first free slice, a
/// request that timed out may still have been applied, and a lease can expire between reading
/// it and writing with it. So every write is one transaction whose conditions say what was read
/// (each slice's lock key absent or unchanged, the node key absent or unchanged) and which writes
/// every key (one lock per slice, the node key) under one lease; a failed transaction tells from
/// the keys it read back whether it had in fact won (every key holds our lease), lost a new slice
/// to another agent (try the next free one) or lost the node key (start over).
///
/// Per pool: the slice the node key's record names is kept when its lock is free or holds this
/// node's record (same lease or same bytes); otherwise the first free slice (`preferring` first)
/// is taken with create-if-absent on its lock. In a large cluster the free slice is probed for
/// rather than read for: reading every lock costs etcd and the agent a good part of a second
/// at 20,000 nodes, for every node that joins. Slices are tried in address order from the n-th,
/// n being the number of locks: the first free one when the slices were handed out in order
/// and none was given back (a hole is left for a later scan); each one found taken moves on,
/// and after `maximumProbes` of them every lock is read after all. The record's lease is kept when every slice it
/// names is kept (a restart, or a single-stack node growing an IPv6 slice), so no lock is left
/// alive under it; otherwise a new lease is granted and the old keys expire with the old lease.
struct SubnetLeaser: Sendable {
    let client: EtcdClient
    /// One pool per family, IPv4 first; the order of the slices in the record.
    let pools: [SlicePool]
    /// The TTL, in seconds, of leases this leaser grants.
    let leaseTTL: Int64
    let logger: Logger
    /// Above this many slice locks, a new slice is probed for instead of read for.
    var probingThreshold: Int64 = 1_000

    /// Slices found taken while probing before every lock is read.
    static let maximumProbes = 8

    /// Times the node key may change under us (or the lease expire) before giving up with
    /// `.contention`. Losing a slice to another agent does not count: it moves to the next one.
    static let maximumAttempts = 16

    /// What one round decided to write.
    private struct Plan {
        /// The slices, in pool order, and the condition on each one's lock key.
        var slices: [(slice: IPPrefix, lock: EtcdCondition, isNew: Bool)]
        var lease: EtcdLease
        /// True when `lease` is the existing record's lease, to be refreshed after the write.
        var keepsRecordLease: Bool
    }

    /// Claims a slice per pool for `registration` (the same ones again when its node key still
    /// names them) and writes every record under one lease. Throws `.poolExhausted` when a pool
    /// has no free slice, `.invalidNodeName`, `.contention`, or the client's errors.
    func acquire(_ registration: NodeRegistration, preferring preferred: [IPPrefix] = []) async throws -> NodeLease {
        guard EtcdKeys.isValidNodeName(registration.name) else { throw EtcdError.invalidNodeName(registration.name) }
        let nodeKey = EtcdKeys.node(registration.name)
        var granted: EtcdLease?
        var lost: Set<IPPrefix> = []
        var attempts = 0
        while attempts < Self.maximumAttempts {
            let existing = try await client.range(.key(nodeKey)).kvs.first
            do {
                let plan = try await plan(for: registration, existing: existing, preferring: preferred,
                                          excluding: lost, granted: &granted)
                let conditions = plan.slices.map(\.lock)
                    + [existing.map { .modRevision(nodeKey, equals: $0.modRevision) } ?? .absent(nodeKey)]
                let slices = plan.slices.map(\.slice)
                let result = try await client.transaction(if: conditions, then: puts(registration, slices, plan.lease.id))
                let lockKeys = slices.map(EtcdKeys.subnet)
                if result.succeeded || (lockKeys + [nodeKey]).allSatisfy({ result.current[$0]?.lease == plan.lease.id }) {
                    var lease = plan.lease
                    if plan.keepsRecordLease { lease = try await client.keepAlive(lease: lease.id) }
                    logger.info("leased this node's slices", metadata: ["slices": "\(slices)", "lease": "\(lease.id)"])
                    return NodeLease(node: node(registration, slices), leaseID: lease.id, ttl: lease.ttl)
                }
                if result.current[nodeKey]?.modRevision != existing?.modRevision {
                    attempts += 1
                    continue
                }
                // Another agent created the lock of a new slice first: move past it.
                let taken = plan.slices.filter { $0.isNew && result.current[EtcdKeys.subnet($0.slice)] != nil }.map(\.slice)
                if taken.isEmpty { attempts += 1 }
                lost.formUnion(taken)
            } catch EtcdError.requestRejected(_, _, _, _, let code, _) where code == grpcNotFound {
                // The lease expired between reading and writing: start over with a new one.
                granted = nil
                attempts += 1
            }
        }
        throw EtcdError.contention(key: nodeKey, attempts: Self.maximumAttempts)
    }

    /// One round's slices and lease, read from etcd. Throws `.poolExhausted` (after revoking a
    /// lease this call granted) when a pool has no free slice.
    private func plan(for registration: NodeRegistration, existing: EtcdKeyValue?, preferring preferred: [IPPrefix],
                      excluding lost: Set<IPPrefix>, granted: inout EtcdLease?) async throws -> Plan {
        let recorded = existing.flatMap { reusableSlices(of: $0) } ?? []
        var kept: [SlicePool: (IPPrefix, EtcdCondition)] = [:]
        for slice in recorded {
            guard let pool = pools.first(where: { $0.isSlice(slice) }), let existing else { continue }
            let lockKey = EtcdKeys.subnet(slice)
            let lock = try await client.range(.key(lockKey)).kvs.first
            if let lock, !(existing.lease != 0 && lock.lease == existing.lease), lock.value != existing.value {
                logger.warning("this node's old slice is held by another record; leasing a new one",
                               metadata: ["slice": "\(slice)", "node": "\(registration.name)"])
                continue
            }
            kept[pool] = (slice, lock.map { .modRevision(lockKey, equals: $0.modRevision) } ?? .absent(lockKey))
        }
        var search = SliceSearch()
        var slices: [(slice: IPPrefix, lock: EtcdCondition, isNew: Bool)] = []
        for pool in pools {
            if let (slice, lock) = kept[pool] {
                slices.append((slice, lock, false))
                continue
            }
            let wanted = preferred.first { pool.isSlice($0) }
            guard let slice = try await search.freeSlice(in: pool, preferring: wanted, excluding: lost, with: self) else {
                if let lease = granted { _ = try? await client.revokeLease(lease.id) }
                granted = nil
                throw EtcdError.poolExhausted(clusterCIDR: pool.clusterCIDR, sliceLength: pool.sliceLength)
            }
            slices.append((slice, .absent(EtcdKeys.subnet(slice)), true))
        }
        let keepsEveryRecordedSlice = !recorded.isEmpty && recorded.allSatisfy { slice in slices.contains { $0.slice == slice } }
        if keepsEveryRecordedSlice, let existing, existing.lease != 0,
           let ttl = try await client.timeToLive(lease: existing.lease) {
            return Plan(slices: slices, lease: EtcdLease(id: existing.lease, ttl: ttl), keepsRecordLease: true)
        }
        return Plan(slices: slices, lease: try await grantOnce(&granted), keepsRecordLease: false)
    }

    /// One round's view of which slices are free: the number of locks, and every lock once it
    /// had to be read.
    private struct SliceSearch {
        var lockCount: Int64?
        var taken: Set<IPPrefix>?

        /// A slice of `pool` that no lock holds as far as this round knows (the transaction
        /// checks it): probed for in a large cluster, else the first free one. Nil when the
        /// pool is full.
        mutating func freeSlice(in pool: SlicePool, preferring wanted: IPPrefix?, excluding lost: Set<IPPrefix>,
                                with leaser: SubnetLeaser) async throws -> IPPrefix? {
            let client = leaser.client
            if lockCount == nil { lockCount = try await client.count(.prefix(EtcdKeys.subnetsPrefix)) }
            if let lockCount, lockCount > leaser.probingThreshold, lost.count < SubnetLeaser.maximumProbes,
               let probe = pool.firstFree(excluding: lost, preferring: wanted, from: UInt64(lockCount)) {
                return probe
            }
            if taken == nil {
                taken = Set(try await client.keys(.prefix(EtcdKeys.subnetsPrefix)).compactMap(EtcdKeys.slice(fromKey:)))
            }
            return pool.firstFree(excluding: (taken ?? []).union(lost), preferring: wanted)
        }
    }

    /// The slices a stored node record names that belong to one of the pools (none when the
    /// record does not parse).
    private func reusableSlices(of kv: EtcdKeyValue) -> [IPPrefix]? {
        guard let slices = (try? EtcdNodeRecord(bytes: kv.value))?.slices else {
            logger.warning("replacing an unusable etcd record", metadata: ["key": "\(kv.key)"])
            return nil
        }
        return slices.filter { slice in pools.contains { $0.isSlice(slice) } }
    }

    /// The lease this `acquire` granted, granting it on first use (so retries don't leak leases).
    private func grantOnce(_ granted: inout EtcdLease?) async throws -> EtcdLease {
        if let granted { return granted }
        let lease = try await client.grantLease(ttl: leaseTTL)
        granted = lease
        return lease
    }

    private func puts(_ registration: NodeRegistration, _ slices: [IPPrefix], _ lease: Int64) -> [EtcdPut] {
        let value = EtcdNodeRecord(registration, slices: slices).bytes
        return slices.map { EtcdPut(key: EtcdKeys.subnet($0), value: value, lease: lease) }
            + [EtcdPut(key: EtcdKeys.node(registration.name), value: value, lease: lease)]
    }

    private func node(_ registration: NodeRegistration, _ slices: [IPPrefix]) -> ClusterNode {
        ClusterNode(name: registration.name, podCIDRs: slices, publicIP: registration.publicIP,
                    publicIPv6: registration.publicIPv6, vtepMAC: registration.vtepMAC, backend: registration.backend)
    }
}
