import Synchronization

/// Events for one consumer that takes everything queued at once: while the consumer works on
/// one batch, the next piles up and is handled as one (a burst of pod ADDs costs one compile
/// and one transaction, not one each). Each event keeps the time it arrived.
final class EventInbox<Event: Sendable>: Sendable {
    private struct State {
        var events: [(event: Event, arrived: ContinuousClock.Instant)] = []
        var waiter: CheckedContinuation<[(event: Event, arrived: ContinuousClock.Instant)], Never>?
    }

    private let state = Mutex(State())

    /// Queues `event`, waking the consumer.
    func post(_ event: Event) {
        let entry = (event: event, arrived: ContinuousClock.now)
        let waiter = state.withLock { state in
            state.events.append(entry)
            defer { state.waiter = nil }
            return state.waiter
        }
        if let waiter { waiter.resume(returning: state.withLock { Self.drain(&$0) }) }
    }

    /// Everything queued, waiting until there is something; empty when the task is cancelled.
    func take() async -> [(event: Event, arrived: ContinuousClock.Instant)] {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready: [(event: Event, arrived: ContinuousClock.Instant)]? = state.withLock { state in
                    if !state.events.isEmpty || Task.isCancelled { return Self.drain(&state) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: [])
        }
    }

    private static func drain(_ state: inout State) -> [(event: Event, arrived: ContinuousClock.Instant)] {
        defer { state.events = [] }
        return state.events
    }
}
