import NetworkModel
import FoundationEssentials
import Glibc

/// Picks addresses out of a node's slice: one per range (one range per family) for each
/// attachment.
///
/// Rules: the network address is never handed out (in vxlan mode it is the node's VTEP address),
/// nor the IPv4 broadcast address. The search starts after the family's last reserved address and
/// wraps, so a just-freed address is not reused at once (a late packet for the old pod must not
/// reach a new one). Asking again for an attachment that holds addresses returns those (CNI ADD is
/// retried by runtimes). A failure part-way frees what this call reserved.
public enum Allocator {
    /// Returns one address per entry of `ranges`, in the order of `ranges`.
    ///
    /// - Parameters:
    ///   - attachment: the holder; addresses it already holds inside a range are returned again.
    ///   - pod: recorded with each new reservation.
    ///   - ranges: the slices, at most one per family (host bits are ignored).
    ///   - now: the creation time recorded for new reservations.
    ///   - store: where reservations live, already locked by the caller.
    /// - Throws: `IPAMError.invalidRanges` (none, or two of one family), `.sliceExhausted` naming
    ///   the full slice, or whatever `store` throws.
    public static func allocate(for attachment: AttachmentID, pod: PodMetadata, ranges: [IPPrefix],
                                now: Date = Date(), in store: some AllocationStore) throws -> [IPAddress] {
        try validate(ranges)
        let held = try store.addresses(of: attachment)
        var reserved: [IPAddress] = []
        do {
            return try ranges.map { range in
                let slice = range.network
                if let address = held.first(where: { slice.contains($0) }) { return address }
                let address = try reserveNext(in: slice, for: attachment, pod: pod, now: now, in: store)
                reserved.append(address)
                return address
            }
        } catch {
            for address in reserved { try? store.release(address) }
            throw error
        }
    }

    /// The addresses of `slice` the allocator may hand out, first and last included; `nil` when
    /// there are none (an IPv4 /31 or /32, an IPv6 /128).
    public static func usableAddresses(of slice: IPPrefix) -> ClosedRange<IPAddress>? {
        let network = slice.network
        let reservedAtEnd: UInt128 = network.family == .v4 ? 1 : 0
        guard network.size > 1 + reservedAtEnd else { return nil }
        let first = IPAddress(family: network.family, value: network.address.value + 1)
        let last = IPAddress(family: network.family, value: network.lastAddress.value - reservedAtEnd)
        return first...last
    }

    private static func validate(_ ranges: [IPPrefix]) throws {
        guard !ranges.isEmpty else { throw IPAMError.invalidRanges(ranges, reason: "no range") }
        guard Set(ranges.map(\.family)).count == ranges.count else {
            throw IPAMError.invalidRanges(ranges, reason: "more than one range of one family")
        }
    }

    private static func reserveNext(in slice: IPPrefix, for attachment: AttachmentID, pod: PodMetadata,
                                    now: Date, in store: some AllocationStore) throws -> IPAddress {
        guard let usable = usableAddresses(of: slice) else { throw IPAMError.sliceExhausted(slice: slice) }
        let count = usable.upperBound.value - usable.lowerBound.value + 1
        let taken = try store.takenAddresses()
        var candidate = usable.lowerBound
        if let last = try store.lastReserved(slice.family), usable.contains(last) {
            candidate = next(after: last, in: usable)
        }
        // Only a free address is tried, so this ends after (taken addresses + 1) steps and
        // normally one reservation, even in a /64.
        for _ in 0..<count {
            if !taken.contains(candidate),
               try store.reserve(AllocationRecord(address: candidate, attachment: attachment, pod: pod, created: now)) {
                return candidate
            }
            candidate = next(after: candidate, in: usable)
        }
        throw IPAMError.sliceExhausted(slice: slice)
    }

    private static func next(after address: IPAddress, in usable: ClosedRange<IPAddress>) -> IPAddress {
        address == usable.upperBound ? usable.lowerBound : IPAddress(family: address.family, value: address.value + 1)
    }
}
