import AgentAPI
import FoundationEssentials
import IPAM

/// Reaches this node's agent: `node.json` in the run dir names its address, `/status` and
/// `/readyz` are read over HTTP with a short timeout.
struct AgentClient {
    let address: String

    /// The agent named by `node.json` in `runDir`. Throws the IPAM error for a missing or
    /// corrupt node.json, or `CnictlError.noAgentAddress`.
    init(runDir: String) throws {
        let node = try NodeInfo.load(runDir: runDir)
        guard let address = node.metricsAddress else { throw CnictlError.noAgentAddress(runDir: runDir) }
        self.address = address
    }

    /// The agent's `/status`. Throws `CnictlError.agentUnreachable` naming the address.
    func status() async throws -> AgentStatusReport {
        try AgentStatusReport.decode(try await get("/status").body)
    }

    /// The agent's `/diagnose`: what its datapath finds against the kernel.
    func findings() async throws -> [Finding] {
        try JSONDecoder().decode([Finding].self, from: try await get("/diagnose").body)
    }

    /// The agent's `/policy`: NetworkPolicy on this node.
    func policy() async throws -> PolicyReport {
        try PolicyReport.decode(try await get("/policy").body)
    }

    /// `/readyz`: true for 200.
    func isReady() async throws -> Bool {
        try await get("/readyz").status == 200
    }

    private func get(_ path: String) async throws -> (status: Int, body: Data) {
        do {
            let (status, body) = try LocalHTTPGet(address: address, timeoutSeconds: 3)(path)
            return (status, Data(body))
        } catch {
            throw CnictlError.agentUnreachable(url: "http://\(address)\(path)", reason: "\(error)")
        }
    }
}

/// Failures of cnictl's own steps.
enum CnictlError: Error, CustomStringConvertible {
    case noAgentAddress(runDir: String)
    case agentUnreachable(url: String, reason: String)

    var description: String {
        switch self {
        case .noAgentAddress(let runDir):
            "\(NodeInfo.path(runDir: runDir)) names no metricsAddress: the agent that wrote it is older than this cnictl"
        case .agentUnreachable(let url, let reason):
            "the trellis agent does not answer at \(url) (\(reason)); is trellisd running on this node?"
        }
    }
}
