/// Failures of the agent's own steps (the modules it drives have their own error types).
public enum AgentError: Error, Sendable, CustomStringConvertible {
    /// A pass over the peers was asked for before this node had its slice.
    case notRegistered
    /// The status server cannot listen on `address`.
    case cannotServe(address: String, reason: String)

    public var description: String {
        switch self {
        case .notRegistered: "this node is not registered yet: it has no slice"
        case .cannotServe(let address, let reason): "cannot serve /metrics, /readyz and /status on \(address): \(reason)"
        }
    }
}
