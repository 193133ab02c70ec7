import Foundation

/// Failures of the agent's own steps (the modules it drives have their own error types).
enum AgentError: Error, CustomStringConvertible {
    case file(operation: String, path: String, errno: Int32)

    var description: String {
        switch self {
        case .file(let operation, let path, let code): "\(operation) \(path): \(String(cString: strerror(code)))"
        }
    }
}
