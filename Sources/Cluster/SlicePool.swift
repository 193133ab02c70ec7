import NetworkModel

/// The node slices of the cluster CIDR: every `/sliceLength` prefix of `clusterCIDR`
/// (`--cluster-cidr 10.244.0.0/16 --node-subnet-size 24`: 10.244.0.0/24 ... 10.244.255.0/24).
/// Pure: choosing a slice is a function of what is taken, so every agent computes the same
/// candidate order and the tests need no etcd.
public struct SlicePool: Hashable, Sendable {
    /// The whole pod network.
    public let clusterCIDR: IPPrefix
    /// The prefix length of one node's slice.
    public let sliceLength: Int

    /// Throws `EtcdError.invalidPool` when `clusterCIDR` has host bits set or is a /0, or when
    /// `sliceLength` is not between its length and the family's width.
    public init(clusterCIDR: IPPrefix, sliceLength: Int) throws(EtcdError) {
        guard clusterCIDR.isNetwork, clusterCIDR.length > 0, (clusterCIDR.length...clusterCIDR.family.bitWidth).contains(sliceLength) else {
            throw .invalidPool(clusterCIDR: clusterCIDR, sliceLength: sliceLength)
        }
        self.clusterCIDR = clusterCIDR
        self.sliceLength = sliceLength
    }

    /// One pool per CIDR, IPv4 first, each cut into slices of its family's length. Throws
    /// `.invalidPool` for a CIDR `init` refuses, none at all, or two of one family.
    public static func perFamily(_ clusterCIDRs: [IPPrefix], sliceLengths: (v4: Int, v6: Int)) throws(EtcdError) -> [SlicePool] {
        guard let first = clusterCIDRs.first else { throw .invalidPool(clusterCIDR: IPPrefix("0.0.0.0/0")!, sliceLength: sliceLengths.v4) }
        let families = clusterCIDRs.map(\.family)
        guard Set(families).count == families.count else { throw .invalidPool(clusterCIDR: first, sliceLength: sliceLengths.v4) }
        var pools: [SlicePool] = []
        for cidr in clusterCIDRs.sorted(by: { $0.family == .v4 && $1.family == .v6 }) {
            pools.append(try SlicePool(clusterCIDR: cidr, sliceLength: cidr.family == .v4 ? sliceLengths.v4 : sliceLengths.v6))
        }
        return pools
    }

    /// Addresses per slice.
    private var sliceSize: UInt128 { UInt128(1) << UInt128(clusterCIDR.family.bitWidth - sliceLength) }

    /// True when `prefix` is one of the pool's slices: the right length, aligned, inside.
    public func isSlice(_ prefix: IPPrefix) -> Bool {
        prefix.length == sliceLength && prefix.isNetwork && clusterCIDR.contains(prefix)
    }

    /// The first slice, in address order from the `first`-th, that overlaps nothing in
    /// `taken`; `preferred` instead when it is a slice of the pool and free. Nil when every
    /// slice from there on is taken. Taken prefixes of other lengths block every slice they
    /// overlap; other families and prefixes outside the pool are ignored.
    public func firstFree(excluding taken: some Sequence<IPPrefix>, preferring preferred: IPPrefix? = nil,
                          from first: UInt64 = 0) -> IPPrefix? {
        let blocked = taken.filter { $0.family == clusterCIDR.family && $0.overlaps(clusterCIDR) }
            .map { (start: $0.network.address.value, end: $0.lastAddress.value) }
        if let preferred, isSlice(preferred),
           !blocked.contains(where: { $0.start <= preferred.lastAddress.value && $0.end >= preferred.address.value }) {
            return preferred
        }
        let base = clusterCIDR.address.value
        let last = clusterCIDR.lastAddress.value
        let (skipped, overflow) = sliceSize.multipliedReportingOverflow(by: UInt128(first))
        guard !overflow, skipped <= last - base else { return nil }
        var candidate = base + skipped
        for interval in blocked.sorted(by: { $0.start < $1.start }) {
            if interval.end < candidate { continue }
            if interval.start > candidate + (sliceSize - 1) { break }
            // The interval overlaps the candidate: the next candidate is the first slice after it.
            guard interval.end < last else { return nil }
            let offset = interval.end + 1 - base
            candidate = base + (offset + sliceSize - 1) / sliceSize * sliceSize
            if candidate > last { return nil }
        }
        return IPPrefix(address: IPAddress(family: clusterCIDR.family, value: candidate), length: sliceLength)
    }
}
