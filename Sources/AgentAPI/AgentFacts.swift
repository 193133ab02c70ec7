/// The facts the agent's readiness is derived from. Each is set from what just happened (a
/// registration returned, a list was applied, a pass converged, the datastore answered or
/// not), never from another fact; `phase` and `isReady` are functions of them, so `/readyz`,
/// the published node condition and `cnictl status` can never disagree.
public struct AgentFacts: Codable, Hashable, Sendable {
    /// This node has its slice from the datastore and is published as a member.
    public var registered = false
    /// What the node owns locally is in place: the vxlan device (in modes that use it), the
    /// masquerade table, `node.json`.
    public var localDatapathReady = false
    /// The datastore answered last time it was asked (the watch is established or listing).
    public var datastoreReachable = false
    /// A complete list of nodes has been applied to the kernel at least once.
    public var firstListApplied = false
    /// The last pass (event or resync) left no write refused.
    public var lastPassConverged = false
    /// With NetworkPolicy enforced: the policy table holds the rules compiled from complete
    /// lists of pods, namespaces and policies (until then, and after nft refused a change, pods'
    /// forwarded traffic is held by the last table or dropped). Nil when enforcement is off.
    public var policyInStep: Bool?

    /// Nothing known yet.
    public init() {}

    /// Every fact holds: the node can take pods that reach the rest of the cluster.
    public var isReady: Bool {
        registered && localDatapathReady && datastoreReachable && firstListApplied && lastPassConverged && policyInStep != false
    }

    /// True once the node's datapath was wired from a complete list: what clears Kubernetes'
    /// `NetworkUnavailable` (once; an outage later never sets it back, the routes stay).
    public var isWired: Bool { registered && localDatapathReady && firstListApplied && lastPassConverged }

    /// The one word for where the agent is, most basic missing fact first.
    public var phase: AgentPhase {
        if !localDatapathReady && !registered { return .preparing }
        if !registered { return .registering }
        if !firstListApplied { return datastoreReachable ? .syncing : .datastoreUnavailable }
        if !datastoreReachable { return .datastoreUnavailable }
        if !localDatapathReady || !lastPassConverged || policyInStep == false { return .converging }
        return .ready
    }
}

/// Where the agent is in its life (`AgentFacts.phase`).
public enum AgentPhase: String, Codable, Sendable {
    /// Putting in place what the node owns (device, masquerade table) before publishing it.
    case preparing
    /// Claiming this node's slice in the datastore.
    case registering
    /// Registered; the first complete list of nodes is not applied yet.
    case syncing
    /// The datastore cannot be reached: the last known good datapath stays in place.
    case datastoreUnavailable
    /// Some writes were refused, something the node owns is missing, or the policy table is
    /// not in step yet; retrying.
    case converging
    /// Every fact holds.
    case ready
}
