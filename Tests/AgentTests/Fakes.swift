import Agent
import AgentAPI
import Cluster
import Netlink
import NetworkModel
import Overlay
import Synchronization

/// A datastore the test scripts: registration waits at a gate, node events are pushed by the
/// test, announcements are counted (and can be refused).
final class FakeNodeSource: NodeSource {
    private let stream: AsyncStream<NodeSourceEvent>
    private let events: AsyncStream<NodeSourceEvent>.Continuation
    private let registerGate = Gate()
    private let state: Mutex<State>

    private struct State {
        var node: ClusterNode
        var announcements = 0
        var refuseAnnouncements = 0
        var registrations = 0
    }

    init(slice: String = "10.244.1.0/24", registerAtOnce: Bool = true) {
        (stream, events) = AsyncStream.makeStream(of: NodeSourceEvent.self)
        state = Mutex(State(node: ClusterNode(name: "self", podCIDRs: [IPPrefix(slice)!], publicIP: IPAddress("198.18.0.1")!)))
        if registerAtOnce { registerGate.open() }
    }

    func register(_ registration: NodeRegistration) async throws -> ClusterNode {
        await registerGate.wait()
        return state.withLock { state in
            state.registrations += 1
            return state.node
        }
    }

    func watchNodes() -> AsyncStream<NodeSourceEvent> { stream }

    func announceNetworkAvailable(nodeName: String) async throws {
        try state.withLock { state in
            if state.refuseAnnouncements > 0 {
                state.refuseAnnouncements -= 1
                throw FakeError.refused
            }
            state.announcements += 1
        }
    }

    /// Lets `register` return.
    func allowRegistration() { registerGate.open() }
    /// Delivers an event from the datastore.
    func send(_ event: NodeSourceEvent) { events.yield(event) }
    /// Refuses the next `count` announcements.
    func refuseAnnouncements(_ count: Int) { state.withLock { $0.refuseAnnouncements = count } }
    var announcements: Int { state.withLock { $0.announcements } }
    var registrations: Int { state.withLock { $0.registrations } }
}

/// A datapath that records what the agent asks of it; passes can be made to refuse writes or
/// fail outright, and preparing can fail a number of times.
final class FakeDatapath: NodeDatapath {
    enum Call: Equatable {
        case prepare, adopt([IPPrefix]), apply([PeerChange]), applyListPage([PeerChange]), resync
    }

    private let state = Mutex(State())
    private let (callStream, callContinuation) = AsyncStream.makeStream(of: Call.self)

    private struct State {
        var calls: [Call] = []
        var prepareFailures = 0
        /// Outcomes of the next passes (apply or resync), consumed in order; converged after.
        var outcomes: [Outcome] = []
    }

    enum Outcome {
        case converged, refused, fails
    }

    func prepare() throws -> LocalState {
        try record(.prepare) { state in
            if state.prepareFailures > 0 {
                state.prepareFailures -= 1
                throw FakeError.refused
            }
        }
        return Self.local
    }

    func adopt(_ local: ClusterNode) throws -> LocalState {
        try record(.adopt(local.podCIDRs)) { _ in }
        return Self.local
    }

    func apply(_ changes: [PeerChange]) throws -> PassReport {
        try pass(.apply(changes))
    }

    func apply(listPage changes: [PeerChange]) throws -> PassReport {
        try pass(.applyListPage(changes))
    }

    func resync() throws -> PassReport {
        try pass(.resync)
    }

    func diagnose() -> [Finding] { [] }

    /// Makes `prepare` fail `count` times.
    func failPrepare(_ count: Int) { state.withLock { $0.prepareFailures = count } }
    /// Scripts the outcomes of the next passes.
    func script(_ outcomes: Outcome...) { state.withLock { $0.outcomes += outcomes } }
    var calls: [Call] { state.withLock { $0.calls } }

    /// Every call, as it is made (for awaiting a number of resyncs, say).
    var callEvents: AsyncStream<Call> { callStream }

    private func pass(_ call: Call) throws -> PassReport {
        var outcome = Outcome.converged
        try record(call) { state in
            if !state.outcomes.isEmpty { outcome = state.outcomes.removeFirst() }
            if outcome == .fails { throw FakeError.refused }
        }
        let failures = outcome == .refused
            ? [DatapathFailure(operation: .deleteRoute(Route(destination: IPPrefix("10.244.9.0/24")!)),
                               error: .request(operation: "route del 10.244.9.0/24", errno: 1))]
            : []
        return PassReport(summary: ReconcileSummary(applied: 0, failures: failures, skipped: [], desiredEntries: 0,
                                                    observedKernel: call == .resync, duration: .zero, routeShape: .nexthop),
                          local: Self.local)
    }

    private func record(_ call: Call, _ body: (inout State) throws -> Void) throws {
        defer { callContinuation.yield(call) }
        try state.withLock { state in
            state.calls.append(call)
            try body(&state)
        }
    }

    static let local = LocalState(underlayInterface: "eth0", underlayMTU: 1500, podMTU: 1450,
                                  publicIP: IPAddress("198.18.0.1")!)
}

enum FakeError: Error {
    case refused
}

/// A one-way gate: `wait` returns once `open` was called.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }
}

/// A peer as the datastore would describe it.
func peer(_ index: Int) -> ClusterNode {
    ClusterNode(name: "peer-\(index)", podCIDRs: [IPPrefix("10.244.\(index + 10).0/24")!],
                publicIP: IPAddress("198.18.0.\(index + 10)")!, vtepMAC: "0a:58:00:00:00:\(String(index, radix: 16))",
                backend: .vxlan)
}

func listed(_ nodes: [ClusterNode]) -> NodeSourceEvent {
    .listed(nodes.map { ObjectChange(key: $0.name, value: $0) })
}
