import Cluster

/// A retry delay the test controls: every retry waits at the gate until the test opens it (and
/// then waits out the real delay), and the test can await the first retry's arrival. This makes
/// "while the source is backing off, do X" deterministic.
actor RetryGate {
    private var isOpen = false
    private var arrived = false
    private var held: [CheckedContinuation<Void, Never>] = []
    private var watchers: [CheckedContinuation<Void, Never>] = []

    /// A retry policy whose delays go through this gate.
    nonisolated var policy: RetryPolicy {
        RetryPolicy(initialDelay: .milliseconds(50), maximumDelay: .milliseconds(200)) { delay in
            await self.pass()
            try await Task.sleep(for: delay)
        }
    }

    private func pass() async {
        arrived = true
        watchers.forEach { $0.resume() }
        watchers = []
        if isOpen { return }
        await withCheckedContinuation { held.append($0) }
    }

    /// Returns once some retry has reached the gate.
    func firstArrival() async {
        if arrived { return }
        await withCheckedContinuation { watchers.append($0) }
    }

    /// Lets every held and later retry through.
    func open() {
        isOpen = true
        held.forEach { $0.resume() }
        held = []
    }
}
