import Netlink

/// What one reconcile or resync pass did: for the agent's log, metrics and `/status`.
public struct ReconcileSummary: Sendable, CustomStringConvertible {
    /// Writes the kernel accepted (deletes of entries already gone count as done).
    public var applied: Int
    /// Writes the kernel refused, with the reason; each is planned again on the next pass.
    public var failures: [DatapathFailure]
    /// Peers (or pod CIDRs) left out of the desired state.
    public var skipped: [SkippedPeer]
    /// The number of entries (routes, neighbours, FDB entries) desired.
    public var desiredEntries: Int
    /// True when this pass read the kernel's state (a resync, the first pass, or after a
    /// failure left the cache unknown) rather than trusting what it applied last.
    public var observedKernel: Bool
    /// How long the pass took.
    public var duration: Duration
    /// How vxlan routes are programmed (nil when the pass failed before asking the kernel).
    public var routeShape: RouteShape?

    /// A summary; every property as documented on the type.
    public init(applied: Int, failures: [DatapathFailure], skipped: [SkippedPeer], desiredEntries: Int,
                observedKernel: Bool, duration: Duration, routeShape: RouteShape? = nil) {
        self.applied = applied
        self.failures = failures
        self.skipped = skipped
        self.desiredEntries = desiredEntries
        self.observedKernel = observedKernel
        self.duration = duration
        self.routeShape = routeShape
    }

    /// Writes refused.
    public var failed: Int { failures.count }

    /// True when the datapath now matches the desired state.
    public var isConverged: Bool { failures.isEmpty }

    /// `"applied 3, failed 0, skipped 1, 15000 entries desired, 2.1 ms"`.
    public var description: String {
        let milliseconds = Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1e3
        return "applied \(applied), failed \(failed), skipped \(skipped.count), \(desiredEntries) entries desired"
            + (observedKernel ? " (kernel read)" : "") + ", \((milliseconds * 10).rounded() / 10) ms"
    }
}
