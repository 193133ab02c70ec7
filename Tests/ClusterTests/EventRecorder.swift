import Cluster

/// Collects a `NodeSource`'s events from a task of its own, so a test can await the first one
/// that matches, with a deadline, instead of sleeping and hoping.
actor EventRecorder {
    private(set) var events: [NodeSourceEvent] = []
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
        events.append(event)
        wake()
    }

    private func wake() {
        waiter?.resume()
        waiter = nil
    }

    /// The first event after the previous match that satisfies `predicate`; later calls look
    /// only at events after it. Throws `Timeout` when none arrives within `timeout`.
    func next(within timeout: Duration = .seconds(20), _ predicate: (NodeSourceEvent) -> Bool) async throws -> NodeSourceEvent {
        let deadline = ContinuousClock.now + timeout
        while true {
            while cursor < events.count {
                let event = events[cursor]
                cursor += 1
                if predicate(event) { return event }
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

    /// The next complete set whose node names are exactly `names`.
    @discardableResult
    func nextNodes(named names: Set<String>, within timeout: Duration = .seconds(20)) async throws -> [ClusterNode] {
        let event = try await next(within: timeout) { event in
            if case .nodes(let nodes) = event { return Set(nodes.map(\.name)) == names }
            return false
        }
        guard case .nodes(let nodes) = event else { return [] }
        return nodes
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

/// `nodes[a,b]` or `unavailable(reason)`.
func describe(_ event: NodeSourceEvent) -> String {
    switch event {
    case .nodes(let nodes): "nodes[\(nodes.map { "\($0.name)=\($0.podCIDRs.map(\.description).joined())" }.joined(separator: ","))]"
    case .unavailable(let reason): "unavailable(\(reason.prefix(80)))"
    }
}
