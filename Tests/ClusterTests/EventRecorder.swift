import NetworkModel
import Cluster

/// Collects a `NodeSource`'s events from a task of its own, so a test can await the first one
/// that matches, with a deadline, instead of sleeping and hoping. Each event is kept with the
/// node set a consumer holds after it (the changes applied in order).
actor EventRecorder {
    private(set) var events: [NodeSourceEvent] = []
    /// The node set after each event, by name.
    private(set) var sets: [[String: ClusterNode]] = []
    private var cursor = 0
    private var waiter: CheckedContinuation<Void, Never>?
    private var consumer: Task<Void, Never>?

    /// Starts consuming `stream`.
    static func recording(_ stream: AsyncStream<NodeSourceEvent>) async -> EventRecorder {
        let recorder = EventRecorder()
        await recorder.consume(stream)
        return recorder
    }

    private func consume(_ stream: AsyncStream<NodeSourceEvent>) {
        consumer = Task { [weak self] in
            for await event in stream {
                await self?.record(event)
            }
        }
    }

    /// Stops consuming (which cancels the source's watch).
    func stop() {
        consumer?.cancel()
    }

    private func record(_ event: NodeSourceEvent) {
        var set = sets.last ?? [:]
        switch event {
        case .listing(let changes), .listed(let changes), .changed(let changes):
            for change in changes { set[change.key] = change.value }
        case .unavailable:
            break
        }
        events.append(event)
        sets.append(set)
        wake()
    }

    private func wake() {
        waiter?.resume()
        waiter = nil
    }

    /// The first event after the previous match that satisfies `predicate`; later calls look
    /// only at events after it. Throws `Timeout` when none arrives within `timeout`.
    func next(within timeout: Duration = .seconds(20), _ predicate: (NodeSourceEvent) -> Bool) async throws -> NodeSourceEvent {
        try await nextIndex(within: timeout) { predicate(events[$0]) }.event
    }

    /// The first event after the previous match for whose index `predicate` holds.
    private func nextIndex(within timeout: Duration, _ predicate: (Int) -> Bool) async throws -> (event: NodeSourceEvent, index: Int) {
        let deadline = ContinuousClock.now + timeout
        while true {
            while cursor < events.count {
                let index = cursor
                cursor += 1
                if predicate(index) {
                    lastMatchedNodes = sets[index].values.sorted { $0.name < $1.name }
                    return (events[index], index)
                }
            }
            guard ContinuousClock.now < deadline else {
                throw Timeout(waitedFor: timeout, seen: events.map(describe))
            }
            let alarm = Task { [weak self] in
                try? await Task.sleep(until: deadline)
                await self?.wake()
            }
            await withCheckedContinuation { waiter = $0 }
            alarm.cancel()
        }
    }

    /// The nodes, ordered by name, after the last event a `next…` call matched.
    private(set) var lastMatchedNodes: [ClusterNode] = []

    /// The nodes, ordered by name, after the next event (not `.unavailable`) whose resulting
    /// set satisfies `predicate`.
    @discardableResult
    func nextSet(within timeout: Duration = .seconds(20), _ predicate: ([ClusterNode]) -> Bool) async throws -> [ClusterNode] {
        _ = try await nextIndex(within: timeout) { index in
            if case .unavailable = events[index] { return false }
            return predicate(sets[index].values.sorted { $0.name < $1.name })
        }
        return lastMatchedNodes
    }

    /// The nodes, ordered by name, after the next event that leaves exactly `names` in the set.
    @discardableResult
    func nextNodes(named names: Set<String>, within timeout: Duration = .seconds(20)) async throws -> [ClusterNode] {
        let (_, index) = try await nextIndex(within: timeout) { index in
            if case .unavailable = events[index] { return false }
            return Set(sets[index].keys) == names
        }
        return sets[index].values.sorted { $0.name < $1.name }
    }

    /// The next `.unavailable`.
    func nextUnavailable(within timeout: Duration = .seconds(20)) async throws {
        _ = try await next(within: timeout) { event in
            if case .unavailable = event { return true }
            return false
        }
    }
}

/// No matching event arrived in time; `seen` lists every event recorded.
struct Timeout: Error, CustomStringConvertible {
    let waitedFor: Duration
    let seen: [String]

    var description: String { "no matching event within \(waitedFor); seen: \(seen.joined(separator: " | "))" }
}

/// `listed[a=...,b=-]`, `changed[...]` or `unavailable(reason)`.
func describe(_ event: NodeSourceEvent) -> String {
    func text(_ changes: [ObjectChange<ClusterNode>]) -> String {
        changes.map { "\($0.key)=\($0.value?.podCIDRs.map(\.description).joined() ?? "-")" }.joined(separator: ",")
    }
    switch event {
    case .listing(let changes): return "listing[\(text(changes))]"
    case .listed(let changes): return "listed[\(text(changes))]"
    case .changed(let changes): return "changed[\(text(changes))]"
    case .unavailable(let reason): return "unavailable(\(reason.prefix(80)))"
    }
}
