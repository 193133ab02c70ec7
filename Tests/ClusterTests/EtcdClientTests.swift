import Cluster
import Foundation
import Testing
import TestSupport

extension EtcdIntegration {
@Suite("EtcdClient against a real etcd")
struct EtcdClientTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("put then range returns the value, revisions and lease; prefix ranges stay inside the prefix")
    func putAndRange() async throws {
        try await withEtcdServer { server in
            let client = try EtcdClient(endpoints: [server.endpoint])
            let revision = try await client.put(EtcdPut(key: "/t/a", value: bytes("1")))
            try await client.put(EtcdPut(key: "/t/b", value: bytes("2")))
            try await client.put(EtcdPut(key: "/u", value: bytes("3")))
            let one = try await client.range(.key("/t/a"))
            let kv = try #require(one.kvs.first)
            #expect(kv.value == bytes("1") && kv.createRevision == revision && kv.modRevision == revision && kv.lease == 0)
            #expect(one.revision == revision + 2)
            let prefix = try await client.range(.prefix("/t/"))
            #expect(prefix.kvs.map(\.key) == ["/t/a", "/t/b"])
            #expect(try await client.range(.key("/missing")).kvs.isEmpty)
            #expect(try await client.delete(.prefix("/t/")) == 2)
            #expect(try await client.range(.prefix("/t/")).kvs.isEmpty)
        }
    }

    @Test("a paged range hands on every key once, page by page (the last one marked), all at the first page's revision")
    func pagedRange() async throws {
        try await withEtcdServer { server in
            let client = try EtcdClient(endpoints: [server.endpoint])
            for index in 1...7 { try await client.put(EtcdPut(key: "/p/\(index)", value: bytes("v\(index)"))) }
            try await client.put(EtcdPut(key: "/q", value: bytes("outside")))
            var pages: [[String]] = []
            var lastMarks: [Bool] = []
            let revision = try await client.range(.prefix("/p/"), pageSize: 2) { page, isLast in
                pages.append(page.map(\.key))
                lastMarks.append(isLast)
                if pages.count == 1 {
                    // Written after the first page: the snapshot must not see it.
                    try await client.put(EtcdPut(key: "/p/0", value: bytes("late")))
                    try await client.put(EtcdPut(key: "/p/8", value: bytes("late")))
                }
            }
            #expect(pages.map(\.count) == [2, 2, 2, 1])
            #expect(lastMarks == [false, false, false, true])
            #expect(pages.flatMap { $0 } == (1...7).map { "/p/\($0)" })
            #expect(revision == (try await client.range(.key("/q")).kvs.first?.modRevision))
            #expect(try await client.range(.prefix("/p/")).kvs.count == 9, "the late keys exist, outside the snapshot")
        }
    }

    @Test("create-if-absent wins once; a stale mod-revision condition fails and reads the key back")
    func transactions() async throws {
        try await withEtcdServer { server in
            let client = try EtcdClient(endpoints: [server.endpoint])
            #expect(try await client.createIfAbsent(EtcdPut(key: "/lock", value: bytes("first"))))
            #expect(try await !client.createIfAbsent(EtcdPut(key: "/lock", value: bytes("second"))))
            let stored = try #require(try await client.range(.key("/lock")).kvs.first)
            #expect(stored.value == bytes("first"))

            try await client.put(EtcdPut(key: "/lock", value: bytes("changed")))
            let stale = try await client.transaction(if: [.modRevision("/lock", equals: stored.modRevision)],
                                                     then: [EtcdPut(key: "/lock", value: bytes("lost"))])
            #expect(!stale.succeeded)
            #expect(stale.current["/lock"]?.value == bytes("changed"))
            let current = try #require(stale.current["/lock"])
            let fresh = try await client.transaction(if: [.modRevision("/lock", equals: current.modRevision)],
                                                     then: [EtcdPut(key: "/lock", value: bytes("won"))])
            #expect(fresh.succeeded && fresh.current.isEmpty)
        }
    }

    @Test("a lease carries keys, refreshes, reports its TTL, and revoking it deletes them")
    func leases() async throws {
        try await withEtcdServer { server in
            let client = try EtcdClient(endpoints: [server.endpoint])
            let lease = try await client.grantLease(ttl: 60)
            #expect(lease.ttl == 60)
            try await client.put(EtcdPut(key: "/leased", value: bytes("x"), lease: lease.id))
            #expect(try await client.range(.key("/leased")).kvs.first?.lease == lease.id)
            let left = try #require(try await client.timeToLive(lease: lease.id))
            #expect((1...60).contains(left))
            #expect(try await client.keepAlive(lease: lease.id).ttl == 60)
            #expect(try await client.revokeLease(lease.id))
            #expect(try await client.range(.key("/leased")).kvs.isEmpty)
            #expect(try await client.timeToLive(lease: lease.id) == nil)
            #expect(try await !client.revokeLease(lease.id))
            await #expect(throws: EtcdError.leaseNotFound(id: lease.id)) { try await client.keepAlive(lease: lease.id) }
        }
    }

    @Test("a put under a lease that does not exist is rejected with gRPC NOT_FOUND, naming endpoint and key")
    func rejected() async throws {
        try await withEtcdServer { server in
            let client = try EtcdClient(endpoints: [server.endpoint])
            do {
                try await client.put(EtcdPut(key: "/k", value: bytes("v"), lease: 12345))
                Issue.record("the put succeeded")
            } catch let EtcdError.requestRejected(endpoint, operation, key, status, code, _) {
                #expect(endpoint == server.endpoint && operation == "kv/put" && key == "/k")
                #expect(status == 404 && code == 5)
            }
        }
    }

    @Test("a watch yields an empty first batch, then puts and deletes in order with their revisions")
    func watchEvents() async throws {
        try await withEtcdServer { server in
            let client = try EtcdClient(endpoints: [server.endpoint])
            let start = try await client.range(.prefix("/w/")).revision
            var iterator = client.watch(.prefix("/w/"), fromRevision: start + 1).makeAsyncIterator()
            let created = try #require(try await iterator.next())
            #expect(created.events.isEmpty && created.revision == start)
            let put = try await client.put(EtcdPut(key: "/w/1", value: bytes("a")))
            try await client.put(EtcdPut(key: "/other", value: bytes("ignored")))
            try await client.delete(.key("/w/1"))
            var events: [EtcdEvent] = []
            while events.count < 2, let batch = try await iterator.next() {
                events += batch.events
            }
            #expect(events.map(\.kind) == [.put, .delete])
            #expect(events.map(\.kv.key) == ["/w/1", "/w/1"])
            #expect(events[0].kv.value == bytes("a") && events[0].kv.modRevision == put)
        }
    }

    @Test("a result larger than one chunk of the stream arrives whole")
    func watchLargeResult() async throws {
        try await withEtcdServer { server in
            let client = try EtcdClient(endpoints: [server.endpoint])
            let large = (0..<300_000).map { UInt8(ascii: "a") + UInt8($0 % 26) }
            try await client.put(EtcdPut(key: "/big", value: large))
            var iterator = client.watch(.key("/big"), fromRevision: 1).makeAsyncIterator()
            _ = try await iterator.next()
            let batch = try #require(try await iterator.next())
            #expect(batch.events.first?.kv.value == large)
        }
    }

    @Test("an idle watch receives etcd's progress notifications as empty batches")
    func watchProgress() async throws {
        try await withEtcdServer(extraArguments: ["--experimental-watch-progress-notify-interval=300ms"]) { server in
            let client = try EtcdClient(endpoints: [server.endpoint])
            let revision = try await client.put(EtcdPut(key: "/p", value: bytes("1")))
            var iterator = client.watch(.prefix("/q/"), fromRevision: revision + 1).makeAsyncIterator()
            _ = try await iterator.next()
            let progress = try #require(try await iterator.next())
            #expect(progress.events.isEmpty && progress.revision == revision)
        }
    }

    @Test("a watch from a compacted revision throws .compacted with the compact revision")
    func watchCompacted() async throws {
        try await withEtcdServer { server in
            let client = try EtcdClient(endpoints: [server.endpoint])
            for index in 0..<4 { try await client.put(EtcdPut(key: "/c/\(index)", value: bytes("v"))) }
            let revision = try await client.range(.prefix("/c/")).revision
            try server.etcdctl(["compact", "\(revision)"])
            await #expect(throws: EtcdError.compacted(key: "/c/", compactRevision: revision)) {
                for try await _ in client.watch(.prefix("/c/"), fromRevision: 2) {}
            }
        }
    }

    @Test("a watch throws when etcd dies under it")
    func watchDisconnect() async throws {
        try await withEtcdServer { server in
            let client = try EtcdClient(endpoints: [server.endpoint])
            var iterator = client.watch(.prefix("/d/"), fromRevision: 1).makeAsyncIterator()
            _ = try await iterator.next()
            server.kill()
            do {
                _ = try await iterator.next()
                Issue.record("the watch went on after etcd died")
            } catch let error as EtcdError {
                #expect(error.isRetryable)
            }
        }
    }

    @Test("with the first endpoint dead, requests and watches fail over to the next")
    func failover() async throws {
        try await withEtcdServer { server in
            let dead = try deadEndpoint()
            let client = try EtcdClient(endpoints: [dead, server.endpoint])
            try await client.put(EtcdPut(key: "/f", value: bytes("1")))
            #expect(try await client.range(.key("/f")).kvs.count == 1)
            var iterator = client.watch(.key("/f"), fromRevision: 1).makeAsyncIterator()
            let first = try #require(try await iterator.next())
            #expect(first.events.isEmpty)
            let history = try #require(try await iterator.next())
            #expect(history.events.map(\.kv.key) == ["/f"])
        }
    }

    @Test("when every endpoint is dead the error lists each one's connection failure, quickly")
    func allDead() async throws {
        let endpoints = [try deadEndpoint(), try deadEndpoint()]
        let client = try EtcdClient(endpoints: endpoints, requestTimeout: .seconds(10))
        let started = ContinuousClock.now
        do {
            _ = try await client.range(.key("/x"))
            Issue.record("a range against dead endpoints succeeded")
        } catch let EtcdError.allEndpointsFailed(operation, errors) {
            #expect(operation == "kv/range")
            #expect(errors.count == 2)
            for (error, endpoint) in zip(errors, endpoints) {
                guard case .connectionFailed(let failed, _, _) = error else {
                    Issue.record("not a connection failure: \(error)")
                    continue
                }
                #expect(failed == endpoint)
            }
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("an endpoint that accepts but never answers times out and the request moves on to the next")
    func timeoutFailover() async throws {
        try await withEtcdServer { server in
            let silent = try SilentListener()
            let hanging = try EtcdClient(endpoints: [silent.endpoint], requestTimeout: .seconds(1))
            await #expect(throws: EtcdError.allEndpointsFailed(operation: "kv/range", errors: [
                .timedOut(endpoint: silent.endpoint, operation: "kv/range"),
            ])) { try await hanging.range(.key("/x")) }

            let client = try EtcdClient(endpoints: [silent.endpoint, server.endpoint], requestTimeout: .seconds(1))
            try await client.put(EtcdPut(key: "/x", value: bytes("1")))
            // The live endpoint answered last, so the next request starts there: no second wait.
            let started = ContinuousClock.now
            #expect(try await client.range(.key("/x")).kvs.count == 1)
            #expect(ContinuousClock.now - started < .milliseconds(900))
        }
    }

    @Test("endpoints that are not http URLs are refused")
    func invalidEndpoints() {
        #expect(throws: EtcdError.invalidEndpoint("127.0.0.1:2379")) { try EtcdClient(endpoints: ["127.0.0.1:2379"]) }
        #expect(throws: EtcdError.noEndpoints) { try EtcdClient(endpoints: []) }
    }
}
}
