import NetworkModel
import Netlink

/// The ids of the agent's nexthop objects: one per gateway and device, inside a range of its
/// own (`OverlayConfig.nexthopIDs`), so it never touches a nexthop outside it.
///
/// Why this is tricky: an id must stay the same for a gateway as long as a route uses it (a new
/// id means a new object and a rewritten route), and a restarted agent must reuse the ids the
/// kernel already holds to adopt them without writes. So ids are an allocation, not a hash:
/// a new gateway gets the id its address hashes to (FNV-1a, stable across restarts), or the
/// next free one after it; `adopt` takes over the kernel's assignment first.
struct NexthopIDs {
    /// What a nexthop id stands for: a gateway on a device.
    struct Target: Hashable, Sendable {
        var gateway: IPAddress
        var linkIndex: Int32
    }

    /// The ids this allocation hands out.
    let range: ClosedRange<UInt32>
    private var ids: [Target: UInt32] = [:]
    /// The ids in use: `ids`' values, as a set to probe.
    private var taken: Set<UInt32> = []

    /// An empty allocation over `range`.
    init(range: ClosedRange<UInt32>) {
        self.range = range
    }

    /// The id of `target`: the one it has, else a free one (which it keeps until released).
    /// Traps only when every id of the range is taken (16 million for the default range).
    mutating func id(for target: Target) -> UInt32 {
        if let id = ids[target] { return id }
        let size = UInt64(range.upperBound - range.lowerBound) + 1
        var id = range.lowerBound + UInt32(FNV1a.hash64(target.gateway.bytes) % size)
        while taken.contains(id) {
            id = id == range.upperBound ? range.lowerBound : id + 1
        }
        ids[target] = id
        taken.insert(id)
        return id
    }

    /// Takes over the kernel's `nexthop` for its gateway when neither its gateway nor its id
    /// has an id or a gateway here yet (the first of several for one gateway wins).
    mutating func adopt(_ nexthop: Nexthop) {
        let target = Target(gateway: nexthop.gateway, linkIndex: nexthop.linkIndex)
        guard range.contains(nexthop.id), ids[target] == nil, !taken.contains(nexthop.id) else { return }
        ids[target] = nexthop.id
        taken.insert(nexthop.id)
    }

    /// Frees the id of `target`.
    mutating func release(_ target: Target) {
        if let id = ids.removeValue(forKey: target) { taken.remove(id) }
    }

    /// Frees every id whose target is not in `kept`.
    mutating func retain(only kept: Set<Target>) {
        for target in ids.keys where !kept.contains(target) { release(target) }
    }
}
