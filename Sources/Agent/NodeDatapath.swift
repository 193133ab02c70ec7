import AgentAPI
import NetworkModel
import Overlay

/// The kernel side of the agent: everything it programs on its node. The seam between the
/// agent's orchestration (`NodeAgent`: what to do when) and the kernel (`KernelDatapath`:
/// how); tests drive the agent through a fake.
///
/// Calls come one at a time from the agent's loop, except `diagnose()`, which the status server
/// may call at any moment.
public protocol NodeDatapath: Sendable {
    /// Puts in place what the node owns before it is published to peers: the masquerade table,
    /// forwarding, the vxlan device (in the modes that use it). Throws when it cannot (no
    /// NET_ADMIN, no `nft`): then nothing is published.
    func prepare() throws -> LocalState

    /// Targets `local`, this node as the datastore now holds it: `node.json` for the plugin, the
    /// VTEP addresses, peers planned against its slices. Called after registration and again
    /// whenever the node's slice changes.
    func adopt(_ local: ClusterNode) throws -> LocalState

    /// Applies changes of peers; the first call after `adopt` completes a list (the rest of it,
    /// after pages given to `apply(listPage:)`, or all of it).
    func apply(_ changes: [PeerChange]) throws -> PassReport

    /// Applies a page of a first list still being read: adds and replaces, withdraws nothing.
    func apply(listPage changes: [PeerChange]) throws -> PassReport

    /// Re-asserts everything owned against the kernel: repairs what was deleted or edited,
    /// picks up an underlay MTU change.
    func resync() throws -> PassReport

    /// What differs from what it would program, without writing.
    func diagnose() -> [Finding]
}

/// What the node's own share of the datapath looks like after a step.
public struct LocalState: Sendable, Hashable {
    /// The underlay interface and its MTU as last read.
    public var underlayInterface: String
    public var underlayMTU: Int
    /// The MTU pods get.
    public var podMTU: Int
    /// The underlay address peers reach this node at.
    public var publicIP: IPAddress
    /// The underlay's addresses with their prefix lengths (IPv4, and IPv6 when it has one):
    /// what decides which peers hybrid and direct mode reach without the overlay.
    public var underlayAddresses: [IPPrefix]
    /// Problems with what the node owns that do not stop it from working (a read-only
    /// `/proc/sys`): reported, not fatal.
    public var warnings: [String] = []

    /// A state; every property as documented on the type.
    public init(underlayInterface: String, underlayMTU: Int, podMTU: Int, publicIP: IPAddress,
                underlayAddresses: [IPPrefix] = [], warnings: [String] = []) {
        self.underlayInterface = underlayInterface
        self.underlayMTU = underlayMTU
        self.podMTU = podMTU
        self.publicIP = publicIP
        self.underlayAddresses = underlayAddresses
        self.warnings = warnings
    }
}

/// The outcome of one pass over the peers (an event or a resync).
public struct PassReport: Sendable {
    /// What the reconciler did.
    public var summary: ReconcileSummary
    /// The node's own share after the pass (a resync re-reads and re-asserts it).
    public var local: LocalState

    /// A report; every property as documented on the type.
    public init(summary: ReconcileSummary, local: LocalState) {
        self.summary = summary
        self.local = local
    }
}
