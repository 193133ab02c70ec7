import NetworkModel
import IPAM
import Testing
@testable import Cluster

@Suite("SlicePool")
struct SlicePoolTests {
    let pool = try! SlicePool(clusterCIDR: IPPrefix("10.244.0.0/16")!, sliceLength: 24)

    private func prefixes(_ texts: String...) -> [IPPrefix] { texts.map { IPPrefix($0)! } }

    @Test("with nothing taken the first slice is the cluster's first")
    func firstSlice() {
        #expect(pool.firstFree(excluding: []) == IPPrefix("10.244.0.0/24"))
    }

    @Test("taken slices are skipped, first gap wins")
    func firstGap() {
        #expect(pool.firstFree(excluding: prefixes("10.244.0.0/24", "10.244.1.0/24", "10.244.3.0/24"))
            == IPPrefix("10.244.2.0/24"))
    }

    @Test("a taken prefix of another length blocks every slice it overlaps")
    func otherLengths() {
        #expect(pool.firstFree(excluding: prefixes("10.244.0.0/23", "10.244.2.128/25")) == IPPrefix("10.244.3.0/24"))
    }

    @Test("prefixes outside the pool or of the other family do not block")
    func outside() {
        #expect(pool.firstFree(excluding: prefixes("10.245.0.0/24", "fd00::/64")) == IPPrefix("10.244.0.0/24"))
    }

    @Test("a free preferred slice wins; a taken or foreign one is ignored")
    func preferred() {
        #expect(pool.firstFree(excluding: [], preferring: IPPrefix("10.244.7.0/24")) == IPPrefix("10.244.7.0/24"))
        #expect(pool.firstFree(excluding: prefixes("10.244.7.0/24"), preferring: IPPrefix("10.244.7.0/24"))
            == IPPrefix("10.244.0.0/24"))
        #expect(pool.firstFree(excluding: [], preferring: IPPrefix("10.244.7.0/25")) == IPPrefix("10.244.0.0/24"))
    }

    @Test("a search from the n-th slice passes over the ones before it, free or not, and ends with the pool")
    func fromSlice() throws {
        #expect(pool.firstFree(excluding: [], from: 5) == IPPrefix("10.244.5.0/24"))
        #expect(pool.firstFree(excluding: prefixes("10.244.5.0/24", "10.244.6.0/25"), from: 5) == IPPrefix("10.244.7.0/24"))
        #expect(pool.firstFree(excluding: [], preferring: IPPrefix("10.244.1.0/24"), from: 5) == IPPrefix("10.244.1.0/24"))
        #expect(pool.firstFree(excluding: prefixes("10.244.255.0/24"), from: 255) == nil)
        #expect(pool.firstFree(excluding: [], from: 256) == nil)
        #expect(pool.firstFree(excluding: [], from: .max) == nil)
    }

    @Test("a full pool has no free slice")
    func full() throws {
        let small = try SlicePool(clusterCIDR: IPPrefix("10.244.0.0/23")!, sliceLength: 24)
        #expect(small.firstFree(excluding: prefixes("10.244.0.0/24", "10.244.1.0/24")) == nil)
        #expect(small.firstFree(excluding: prefixes("10.244.0.0/16")) == nil)
    }

    @Test("IPv6 pools cut /64 slices")
    func ipv6() throws {
        let v6 = try SlicePool(clusterCIDR: IPPrefix("fd00:10:244::/56")!, sliceLength: 64)
        #expect(v6.firstFree(excluding: prefixes("fd00:10:244::/64")) == IPPrefix("fd00:10:244:1::/64"))
    }

    @Test("a slice longer than the family, shorter than the cluster, or a cluster with host bits is refused",
          arguments: [("10.244.0.0/16", 33), ("10.244.0.0/16", 15), ("10.244.0.1/16", 24)])
    func invalid(cluster: String, length: Int) {
        #expect(throws: EtcdError.invalidPool(clusterCIDR: IPPrefix(cluster)!, sliceLength: length)) {
            try SlicePool(clusterCIDR: IPPrefix(cluster)!, sliceLength: length)
        }
    }

    @Test("isSlice accepts aligned slices of the pool's length inside it only")
    func isSlice() {
        #expect(pool.isSlice(IPPrefix("10.244.9.0/24")!))
        #expect(!pool.isSlice(IPPrefix("10.244.9.1/24")!))
        #expect(!pool.isSlice(IPPrefix("10.244.9.0/25")!))
        #expect(!pool.isSlice(IPPrefix("10.245.9.0/24")!))
    }
}
