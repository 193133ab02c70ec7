import NetworkModel
import Foundation
@testable import IPAM

/// The allocator's fake store: reservations in a dictionary, addresses of unreadable records in a
/// set, and an optional failure injected on the Nth reservation.
final class InMemoryStore: AllocationStore {
    var records: [IPAddress: AllocationRecord] = [:]
    /// Taken by records the "store" cannot read.
    var unreadable: Set<IPAddress> = []
    var last: [IPFamily: IPAddress] = [:]
    /// When set, the reservation with this 1-based number throws instead.
    var failingReservation: Int?
    private(set) var reservations = 0

    struct InjectedFailure: Error {}

    func addresses(of attachment: AttachmentID) throws -> [IPAddress] {
        records.values.filter { $0.attachment == attachment }.map(\.address)
    }

    func takenAddresses() throws -> Set<IPAddress> { unreadable.union(records.keys) }

    func lastReserved(_ family: IPFamily) throws -> IPAddress? { last[family] }

    func reserve(_ record: AllocationRecord) throws -> Bool {
        reservations += 1
        if reservations == failingReservation { throw InjectedFailure() }
        guard records[record.address] == nil, !unreadable.contains(record.address) else { return false }
        records[record.address] = record
        last[record.address.family] = record.address
        return true
    }

    func release(_ address: IPAddress) throws {
        records[address] = nil
    }
}
