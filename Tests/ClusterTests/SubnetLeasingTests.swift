import NetworkModel
@testable import Cluster
import IPAM
import Testing
import TestSupport

extension EtcdIntegration {
@Suite("Slice leasing in etcd")
struct SubnetLeasingTests {
    @Test("eight agents registering at the same moment get eight distinct slices, each locked by its record")
    func concurrentRegistrations() async throws {
        try await withEtcdServer { server in
            let sources = try (0..<8).map { _ in try makeSource(server) }
            let leases = try await withThrowingTaskGroup(of: NodeLease.self) { group in
                for (index, source) in sources.enumerated() {
                    group.addTask { try await source.claim(registration(index)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let slices = leases.flatMap(\.node.podCIDRs)
            #expect(Set(slices).count == 8)
            #expect(Set(slices) == Set((0..<8).map { IPPrefix("10.244.\($0).0/24")! }))
            let client = sources[0].client
            let locks = try await client.range(.prefix(EtcdKeys.subnetsPrefix)).kvs
            #expect(locks.count == 8)
            for lease in leases {
                let node = try #require(try await client.range(.key(EtcdKeys.node(lease.node.name))).kvs.first)
                let lock = try #require(try await client.range(.key(EtcdKeys.subnet(lease.node.podCIDRs[0]))).kvs.first)
                #expect(node.value == lock.value)
                #expect(node.lease == lease.leaseID && lock.lease == lease.leaseID)
            }
        }
    }

    @Test("a restarted agent gets its old slice and lease back")
    func restartKeepsSlice() async throws {
        try await withEtcdServer { server in
            let first = try makeSource(server)
            _ = try await first.claim(registration(1))
            let original = try await first.claim(registration(2))
            first.stopKeepingAlive()
            let restarted = try makeSource(server)
            let again = try await restarted.claim(registration(2))
            #expect(again.node.podCIDRs == original.node.podCIDRs)
            #expect(again.leaseID == original.leaseID)
            #expect(again.node == original.node)
        }
    }

    @Test("a record written without a lease is reclaimed: same slice, now under a lease")
    func leaselessRecordReclaimed() async throws {
        try await withEtcdServer { server in
            let source = try makeSource(server)
            let record = recordJSON(publicIP: "198.18.0.13", podCIDR: "10.244.5.0/24")
            try await source.client.put(EtcdPut(key: EtcdKeys.node("n3"), value: record))
            try await source.client.put(EtcdPut(key: EtcdKeys.subnet(IPPrefix("10.244.5.0/24")!), value: record))
            let lease = try await source.claim(registration(3))
            #expect(lease.node.podCIDRs == [IPPrefix("10.244.5.0/24")!])
            let node = try #require(try await source.client.range(.key(EtcdKeys.node("n3"))).kvs.first)
            #expect(node.lease == lease.leaseID && node.lease != 0)
        }
    }

    @Test("a node whose old slice was taken by another record gets a new one")
    func stolenSliceReplaced() async throws {
        try await withEtcdServer { server in
            let source = try makeSource(server)
            let slice = IPPrefix("10.244.0.0/24")!
            try await source.client.put(EtcdPut(key: EtcdKeys.node("n4"), value: recordJSON(publicIP: "198.18.0.14", podCIDR: "\(slice)")))
            try await source.client.put(EtcdPut(key: EtcdKeys.subnet(slice), value: recordJSON(publicIP: "198.18.0.99", podCIDR: "\(slice)")))
            let lease = try await source.claim(registration(4))
            #expect(lease.node.podCIDRs == [IPPrefix("10.244.1.0/24")!])
        }
    }

    @Test("in a large cluster a new slice is probed for from the number of locks; too many taken probes read every lock")
    func probing() async throws {
        try await withEtcdServer { server in
            let client = try EtcdClient(endpoints: [server.endpoint])
            let pool = try SlicePool(clusterCIDR: IPPrefix("10.244.0.0/16")!, sliceLength: 24)
            let leaser = SubnetLeaser(client: client, pools: [pool], leaseTTL: 60, logger: testLogger, probingThreshold: 3)
            func lock(_ indices: some Sequence<Int>) async throws {
                for index in indices {
                    let slice = "10.244.\(index).0/24"
                    try await client.put(EtcdPut(key: EtcdKeys.subnet(IPPrefix(slice)!), value: recordJSON(publicIP: "198.18.1.\(index)", podCIDR: slice)))
                }
            }
            // Five locks with a hole at 2, and 5 itself taken (handed out out of order): the
            // probe starts at the fifth slice, finds it taken and moves on; the hole stays.
            try await lock([0, 1, 3, 4, 5])
            #expect(try await leaser.acquire(registration(1)).node.podCIDRs == [IPPrefix("10.244.6.0/24")!])
            // Fourteen locks, the eight slices from the fourteenth taken: the probes give up and
            // every lock is read.
            try await lock(14..<22)
            #expect(try await leaser.acquire(registration(2)).node.podCIDRs == [IPPrefix("10.244.2.0/24")!])
            // At or under the threshold nothing is probed: the first free slice.
            let small = SubnetLeaser(client: client, pools: [pool], leaseTTL: 60, logger: testLogger, probingThreshold: 100)
            #expect(try await small.acquire(registration(3)).node.podCIDRs == [IPPrefix("10.244.7.0/24")!])
        }
    }

    @Test("a full pool is an error naming the cluster CIDR and slice size")
    func fullPool() async throws {
        try await withEtcdServer { server in
            let source = try makeSource(server, clusterCIDR: "10.244.0.0/23")
            _ = try await source.claim(registration(1))
            _ = try await source.claim(registration(2))
            let error = await #expect(throws: EtcdError.self) { try await source.claim(registration(3)) }
            #expect(error == .poolExhausted(clusterCIDR: IPPrefix("10.244.0.0/23")!, sliceLength: 24))
            #expect(error.map { "\($0)" }?.contains("10.244.0.0/23") == true)
        }
    }

    @Test("dual stack: agents registering at once each get one slice per family under one lease, and get both back on restart")
    func dualStackLeasing() async throws {
        try await withEtcdServer { server in
            let dual = "10.244.0.0/16,fd00:10:244::/56"
            let sources = try (0..<4).map { _ in try makeSource(server, clusterCIDR: dual) }
            let leases = try await withThrowingTaskGroup(of: NodeLease.self) { group in
                for (index, source) in sources.enumerated() {
                    group.addTask { try await source.claim(registration(index)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(leases.map { $0.node.podCIDRs[0] }) == Set((0..<4).map { IPPrefix("10.244.\($0).0/24")! }))
            #expect(Set(leases.map { $0.node.podCIDRs[1] }) == Set((0..<4).map { IPPrefix("fd00:10:244:\($0)::/64")! }))
            let client = sources[0].client
            for lease in leases {
                let node = try #require(try await client.range(.key(EtcdKeys.node(lease.node.name))).kvs.first)
                for slice in lease.node.podCIDRs {
                    let lock = try #require(try await client.range(.key(EtcdKeys.subnet(slice))).kvs.first)
                    #expect(lock.value == node.value && lock.lease == lease.leaseID)
                }
            }
            sources[1].stopKeepingAlive()
            let restarted = try makeSource(server, clusterCIDR: dual)
            let again = try await restarted.claim(registration(1))
            restarted.stopKeepingAlive()
            let before = try #require(leases.first { $0.node.name == "n1" })
            #expect(again.node.podCIDRs == before.node.podCIDRs && again.leaseID == before.leaseID)
            #expect(try await client.withdrawNode(named: "n1"))
            #expect(try await client.range(.prefix("/trellis/")).kvs.count == 3 * 3, "n1's node key and both locks are gone")
        }
    }

    @Test("a single-stack node on a cluster turned dual-stack keeps its IPv4 slice and lease and gains an IPv6 slice")
    func singleStackGrowsAnIPv6Slice() async throws {
        try await withEtcdServer { server in
            let single = try makeSource(server)
            let before = try await single.claim(registration(2))
            single.stopKeepingAlive()
            let after = try await makeSource(server, clusterCIDR: "10.244.0.0/16,fd00:10:244::/56").claim(registration(2))
            #expect(after.node.podCIDRs == before.node.podCIDRs + [IPPrefix("fd00:10:244::/64")!])
            #expect(after.leaseID == before.leaseID)
        }
    }

    @Test("an exhausted IPv6 pool is an error naming it, and leaves no key behind")
    func exhaustedIPv6Pool() async throws {
        try await withEtcdServer { server in
            let source = try makeSource(server, clusterCIDR: "10.244.0.0/16,fd00:10:244::/63", sliceLengthV6: 64)
            _ = try await source.claim(registration(1))
            _ = try await source.claim(registration(2))
            let keys = try await source.client.range(.prefix("/trellis/")).kvs.map(\.key)
            let error = await #expect(throws: EtcdError.self) { try await source.claim(registration(3)) }
            #expect(error == .poolExhausted(clusterCIDR: IPPrefix("fd00:10:244::/63")!, sliceLength: 64))
            #expect(try await source.client.range(.prefix("/trellis/")).kvs.map(\.key) == keys)
        }
    }

    @Test("when the lease is revoked under a running agent, it registers again with the same slice")
    func expiredLeaseReregisters() async throws {
        try await withEtcdServer { server in
            let source = try makeSource(server, leaseTTL: .seconds(3))
            let lease = try await source.claim(registration(5))
            let watcher = try makeSource(server)
            let recorder = await EventRecorder.recording(watcher.watchNodes())
            try await recorder.nextNodes(named: ["n5"])
            #expect(try await source.client.revokeLease(lease.leaseID))
            try await recorder.nextNodes(named: [])
            let back = try await recorder.nextNodes(named: ["n5"])
            #expect(back[0].podCIDRs == lease.node.podCIDRs)
            let node = try #require(try await source.client.range(.key(EtcdKeys.node("n5"))).kvs.first)
            #expect(node.lease != lease.leaseID && node.lease != 0)
            await recorder.stop()
        }
    }

    @Test("withdraw deletes both keys and revokes the lease")
    func withdraw() async throws {
        try await withEtcdServer { server in
            let source = try makeSource(server)
            let lease = try await source.claim(registration(6))
            #expect(try await source.withdraw(name: "n6"))
            #expect(try await source.client.range(.prefix("/trellis/")).kvs.isEmpty)
            #expect(try await source.client.timeToLive(lease: lease.leaseID) == nil)
            #expect(try await !source.withdraw(name: "n6"))
        }
    }

    @Test("withdrawNode with only a client removes lease-less records of that node and leaves other nodes alone")
    func withdrawWithClientOnly() async throws {
        try await withEtcdServer { server in
            let other = try makeSource(server)
            _ = try await other.claim(registration(1))
            let client = try EtcdClient(endpoints: [server.endpoint])
            let record = recordJSON(publicIP: "198.18.0.20", podCIDR: "10.244.20.0/24")
            try await client.put(EtcdPut(key: EtcdKeys.node("gone"), value: record))
            try await client.put(EtcdPut(key: EtcdKeys.subnet(IPPrefix("10.244.20.0/24")!), value: record))
            #expect(try await client.withdrawNode(named: "gone"))
            let left = try await client.range(.prefix("/trellis/")).kvs.map(\.key)
            #expect(left == [EtcdKeys.node("n1"), EtcdKeys.subnet(IPPrefix("10.244.0.0/24")!)])
            await #expect(throws: EtcdError.invalidNodeName("a/b")) { try await client.withdrawNode(named: "a/b") }
        }
    }

    @Test("registering retries while etcd is down and succeeds once it is up")
    func registerWaitsForEtcd() async throws {
        try await withEtcdServer { server in
            server.stop()
            let gate = RetryGate()
            let source = try makeSource(server, retry: gate.policy)
            let claim = Task { try await source.claim(registration(7)) }
            await gate.firstArrival()
            try server.start()
            await gate.open()
            let lease = try await claim.value
            #expect(lease.node.podCIDRs == [IPPrefix("10.244.0.0/24")!])
        }
    }
}
}
