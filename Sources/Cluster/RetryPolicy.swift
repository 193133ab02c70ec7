/// How the agent waits between attempts while the datastore (or a step of its own) fails: exponential backoff
/// from `initialDelay`, doubling up to `maximumDelay`, each delay jittered to between half and
/// all of its value so that agents restarted together do not retry in lockstep.
public struct RetryPolicy: Sendable {
    /// The first delay.
    public var initialDelay: Duration
    /// The cap.
    public var maximumDelay: Duration
    /// How a delay is waited out; `Task.sleep` unless a test holds the retry at a gate.
    /// Throws `CancellationError` when cancelled.
    public var sleep: @Sendable (Duration) async throws -> Void

    /// A policy; the defaults suit an agent (250 ms doubling to 30 s, real sleeping).
    public init(initialDelay: Duration = .milliseconds(250), maximumDelay: Duration = .seconds(30),
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.sleep = sleep
    }
}

/// The delays of one run of failures under a `RetryPolicy`; `reset()` after a success.
public struct Backoff {
    /// The policy the delays follow.
    public let policy: RetryPolicy
    private var attempt = 0

    /// The first delay of `policy` comes next.
    public init(_ policy: RetryPolicy) {
        self.policy = policy
    }

    /// The next jittered delay: a random point in [d/2, d], d = min(initial * 2^attempt, maximum).
    public mutating func nextDelay(using generator: inout some RandomNumberGenerator) -> Duration {
        var delay = policy.initialDelay
        for _ in 0..<min(attempt, 62) where delay < policy.maximumDelay {
            delay *= 2
        }
        delay = min(delay, policy.maximumDelay)
        attempt += 1
        return delay * Double.random(in: 0.5...1.0, using: &generator)
    }

    /// Waits out the next delay (through the policy's `sleep`).
    public mutating func wait() async throws {
        var generator = SystemRandomNumberGenerator()
        try await policy.sleep(nextDelay(using: &generator))
    }

    /// Starts over from `initialDelay`.
    public mutating func reset() {
        attempt = 0
    }
}
