@testable import Cluster
import Logging
import Synchronization
import Testing

/// The engine's rules with a scripted collection: what a consumer is told after an outage, after
/// an expired cursor, and that expiring again at once backs off instead of hammering the server.
@Suite struct ListWatchEngineTests {
    /// A collection whose lists and watches follow a script.
    final class ScriptedCollection: ListWatchAdapter {
        enum Step {
            /// The next `watch` delivers these batches, then ends.
            case deliver([WatchBatch<Int, Int>])
            /// The next `watch` fails: expired or unreachable.
            case expire, fail
        }

        /// The script, the number of lists so far, and what each list returns (the last again).
        let state: Mutex<(steps: [Step], lists: Int, listings: [[(key: String, value: Int?)]])>
        /// When set, a list hands on its objects in pages of this size, all but the last.
        let pageSize: Int?
        var resource: String { "things" }

        init(listed: [(key: String, value: Int?)]..., pageSize: Int? = nil, steps: [Step]) {
            state = Mutex((steps, 0, listed))
            self.pageSize = pageSize
        }

        func list(page: ([(key: String, value: Int?)]) -> Void) async throws -> Listing<Int, Int> {
            let objects = state.withLock { state in
                state.lists += 1
                return state.listings.count > 1 ? state.listings.removeFirst() : state.listings[0]
            }
            if let pageSize {
                for start in stride(from: 0, to: objects.count - pageSize, by: pageSize) {
                    page(Array(objects[start..<start + pageSize]))
                }
            }
            return Listing(objects: objects, cursor: 1)
        }

        func watch(from cursor: Int) async throws -> Session {
            let step: Step? = state.withLock { $0.steps.isEmpty ? nil : $0.steps.removeFirst() }
            switch step {
            case .deliver(let batches): return Session(batches: batches)
            case .expire: throw EtcdError.compacted(key: "/things", compactRevision: 5)
            case .fail: throw EtcdError.watchDisconnected(endpoint: "e", key: "/things")
            case nil:
                try await Task.sleep(for: .seconds(3600))
                throw CancellationError()
            }
        }

        func isExpired(_ error: any Error) -> Bool {
            if case EtcdError.compacted = error { return true }
            return false
        }

        struct Session: WatchSession {
            var batches: [WatchBatch<Int, Int>]
            mutating func next() async throws -> WatchBatch<Int, Int>? {
                batches.isEmpty ? nil : batches.removeFirst()
            }
        }
    }

    /// Runs the engine until it has yielded `count` events; returns them and the sleeps it took.
    private func run(_ collection: ScriptedCollection, events count: Int) async -> ([CollectionEvent<Int>], Int) {
        let sleeps = Atomic<Int>(0)
        let retry = RetryPolicy(initialDelay: .milliseconds(1), maximumDelay: .milliseconds(2)) { _ in
            sleeps.add(1, ordering: .relaxed)
        }
        let engine = ListWatchEngine(adapter: collection, retry: retry, logger: Logger(label: "test"))
        var events: [CollectionEvent<Int>] = []
        for await event in engine.events() {
            events.append(event)
            if events.count == count { break }
        }
        return (events, sleeps.load(ordering: .relaxed))
    }

    @Test("a heartbeat is not passed on; an outage is, and so is the recovery (an empty change)")
    func outageAndRecovery() async {
        let collection = ScriptedCollection(listed: [("a", 1)], steps: [
            .deliver([WatchBatch(changes: [("a", 1)], cursor: 2), WatchBatch(changes: [("b", 2)], cursor: 3)]),
            .fail,
            .deliver([WatchBatch(changes: [], cursor: 4)]),
        ])
        let (events, _) = await run(collection, events: 4)
        guard case .listed(let first) = events[0], case .changed(let second) = events[1],
              case .unavailable = events[2], case .changed(let recovered) = events[3] else {
            Issue.record("unexpected events: \(events)")
            return
        }
        #expect(first == [ObjectChange(key: "a", value: 1)])
        #expect(second == [ObjectChange(key: "b", value: 2)])
        #expect(recovered.isEmpty)
        #expect(collection.state.withLock { $0.lists } == 1, "an outage resumes from the cursor, it does not list again")
    }

    @Test("an expired cursor lists again; expiring again at once backs off before the next list")
    func expiryRelistsWithBackoff() async {
        let collection = ScriptedCollection(listed: [("a", 1)], steps: [.expire, .expire, .expire, .deliver([])])
        let (events, sleeps) = await run(collection, events: 4)
        #expect(events.allSatisfy { if case .listed = $0 { true } else { false } })
        #expect(collection.state.withLock { $0.lists } == 4)
        #expect(sleeps >= 2, "the second and third expiry in a row wait before listing (\(sleeps) sleeps)")
    }

    @Test("the first list's pages are handed on as they come and its end carries the rest; a relist hands on no pages")
    func firstListPages() async {
        let collection = ScriptedCollection(listed: [("a", 1), ("b", 2), ("c", 3)], [("a", 1), ("b", 5)],
                                            pageSize: 1, steps: [.expire])
        let (events, _) = await run(collection, events: 4)
        guard case .listing(let first) = events[0], case .listing(let second) = events[1],
              case .listed(let end) = events[2], case .listed(let relisted) = events[3] else {
            Issue.record("unexpected events: \(events)")
            return
        }
        #expect(first == [ObjectChange(key: "a", value: 1)])
        #expect(second == [ObjectChange(key: "b", value: 2)])
        #expect(end == [ObjectChange(key: "c", value: 3)])
        #expect(relisted == [ObjectChange(key: "b", value: 5), ObjectChange(key: "c", value: nil)])
    }

    @Test("a relist after expiry hands on removals of what vanished meanwhile")
    func relistRemovals() async {
        let collection = ScriptedCollection(listed: [("a", 1), ("b", 2)], [("b", 3)], steps: [.expire])
        let (events, _) = await run(collection, events: 2)
        guard case .listed(let changes) = events.last else { Issue.record("\(events)"); return }
        #expect(changes == [ObjectChange(key: "a", value: nil), ObjectChange(key: "b", value: 3)])
    }
}
