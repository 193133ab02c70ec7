import NetworkModel
import Foundation
import Testing
@testable import IPAM

@Suite struct AllocatorTests {
    private func allocate(_ store: InMemoryStore, _ id: String, _ ranges: [String]) throws -> [IPAddress] {
        try Allocator.allocate(for: attachment(id), pod: testPod, ranges: ranges.map(prefix), in: store)
    }

    @Test func smallV4SliceSkipsNetworkAndBroadcastThenReportsExhaustion() throws {
        let store = InMemoryStore()
        #expect(try allocate(store, "a", ["10.0.0.0/30"]) == [ip("10.0.0.1")])
        #expect(try allocate(store, "b", ["10.0.0.0/30"]) == [ip("10.0.0.2")])
        #expect(throws: IPAMError.sliceExhausted(slice: prefix("10.0.0.0/30"))) {
            try allocate(store, "c", ["10.0.0.0/30"])
        }
    }

    @Test func v6SliceSkipsNetworkButHandsOutLastAddress() throws {
        let store = InMemoryStore()
        let got = try (0..<3).map { try allocate(store, "c\($0)", ["fd00::/126"]) }
        #expect(got == [[ip("fd00::1")], [ip("fd00::2")], [ip("fd00::3")]])
        #expect(throws: IPAMError.sliceExhausted(slice: prefix("fd00::/126"))) { try allocate(store, "d", ["fd00::/126"]) }
    }

    @Test func sliceWithoutUsableAddressIsExhausted() {
        #expect(Allocator.usableAddresses(of: prefix("10.0.0.0/31")) == nil)
        #expect(throws: IPAMError.sliceExhausted(slice: prefix("10.0.0.4/32"))) {
            try allocate(InMemoryStore(), "a", ["10.0.0.4/32"])
        }
    }

    @Test func freedAddressIsNotReusedBeforeTheRoundRobinComesBack() throws {
        let store = InMemoryStore()
        _ = try allocate(store, "a", ["10.0.0.0/24"])
        _ = try allocate(store, "b", ["10.0.0.0/24"])
        try store.release(ip("10.0.0.1"))
        #expect(try allocate(store, "c", ["10.0.0.0/24"]) == [ip("10.0.0.3")])
    }

    @Test func searchWrapsAfterLastUsableAddressAndSkipsTakenOnes() throws {
        let store = InMemoryStore()
        store.last[.v4] = ip("10.0.0.6")  // the last usable address of 10.0.0.0/29
        _ = try allocate(store, "a", ["10.0.0.0/29"])
        #expect(store.records[ip("10.0.0.1")]?.attachment == attachment("a"))
        store.last[.v4] = ip("10.0.0.5")
        store.unreadable = [ip("10.0.0.6")]
        #expect(try allocate(store, "b", ["10.0.0.0/29"]) == [ip("10.0.0.2")])
    }

    @Test func takenAddressesAfterTheMarkerCostNoReservationAttempt() throws {
        let store = InMemoryStore()
        for i in 1...50 { _ = try allocate(store, "long-lived-\(i)", ["10.0.0.0/24"]) }
        store.last[.v4] = ip("10.0.0.254")  // the search wraps onto the 50 long-lived pods
        let attempts = store.reservations
        #expect(try allocate(store, "new", ["10.0.0.0/24"]) == [ip("10.0.0.51")])
        #expect(store.reservations - attempts == 1, "only the free address is tried")
    }

    @Test func markerOutsideTheSliceRestartsAtTheFirstAddress() throws {
        let store = InMemoryStore()
        store.last[.v4] = ip("10.9.9.9")
        #expect(try allocate(store, "a", ["10.0.0.7/24"]) == [ip("10.0.0.1")])
    }

    @Test func addressOfUnreadableRecordStaysTaken() throws {
        let store = InMemoryStore()
        store.unreadable = [ip("10.0.0.1")]
        #expect(try allocate(store, "a", ["10.0.0.0/24"]) == [ip("10.0.0.2")])
    }

    @Test func dualStackGetsOneAddressPerFamilyInRangeOrder() throws {
        let store = InMemoryStore()
        let got = try allocate(store, "a", ["fd00:10:244:1::/64", "10.244.1.0/24"])
        #expect(got == [ip("fd00:10:244:1::1"), ip("10.244.1.1")])
        #expect(store.records.count == 2)
        #expect(store.records.values.allSatisfy { $0.attachment == attachment("a") && $0.pod == testPod })
    }

    @Test func repeatedAddForSameAttachmentReturnsHeldAddresses() throws {
        let store = InMemoryStore()
        let first = try allocate(store, "a", ["10.244.1.0/24", "fd00::/64"])
        _ = try allocate(store, "b", ["10.244.1.0/24", "fd00::/64"])
        #expect(try allocate(store, "a", ["10.244.1.0/24", "fd00::/64"]) == first)
        #expect(store.records.count == 4)
    }

    @Test func repeatedAddWithANewFamilyKeepsHeldAddressAndAddsTheOther() throws {
        let store = InMemoryStore()
        let v4 = try allocate(store, "a", ["10.244.1.0/24"])
        let both = try allocate(store, "a", ["10.244.1.0/24", "fd00::/64"])
        #expect(both == v4 + [ip("fd00::1")])
    }

    @Test func exhaustedSecondFamilyFreesTheFirstFamilysNewAddress() throws {
        let store = InMemoryStore()
        _ = try allocate(store, "full", ["fd00::/127"])  // fd00::1 is its only usable address
        #expect(throws: IPAMError.sliceExhausted(slice: prefix("fd00::/127"))) {
            try allocate(store, "a", ["10.0.0.0/24", "fd00::/127"])
        }
        #expect(try store.addresses(of: attachment("a")).isEmpty)
    }

    @Test func storeFailureFreesWhatTheCallReserved() throws {
        let store = InMemoryStore()
        store.failingReservation = 2
        #expect(throws: InMemoryStore.InjectedFailure.self) { try allocate(store, "a", ["10.0.0.0/24", "fd00::/64"]) }
        #expect(store.records.isEmpty)
    }

    @Test func rangesMustBeOnePerFamilyAndNotEmpty() {
        #expect(throws: IPAMError.invalidRanges([], reason: "no range")) { try allocate(InMemoryStore(), "a", []) }
        #expect {
            try allocate(InMemoryStore(), "a", ["10.0.0.0/24", "10.0.1.0/24"])
        } throws: { error in
            guard case IPAMError.invalidRanges(let ranges, _) = error else { return false }
            return ranges.count == 2
        }
    }
}
