import AgentAPI
import FoundationEssentials
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import Synchronization

/// Serves `/metrics` (Prometheus text), `/healthz` (the process is alive), `/readyz` (200 when
/// every readiness fact holds, 503 naming the phase otherwise), `/status` (JSON, read by
/// `cnictl status`), `/diagnose` (the datapath's and the policy table's findings against the
/// kernel, JSON, read by `cnictl diagnose`) and `/policy` (`PolicyReport`, read by
/// `cnictl policy`).
///
/// A scraper or a stuck client cannot starve it: at most `maximumConnections` are served at
/// once (more are closed on accept) and a connection that has not sent its request within
/// `requestTimeout` is closed.
public final class StatusServer: Sendable {
    /// Connections served at once.
    public static let maximumConnections = 32
    /// Time a client has to send its request.
    public static let requestTimeout: Duration = .seconds(10)

    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    private let channel: NIOAsyncChannel<Connection, Never>
    private let status: AgentStatus
    private let registry: PrometheusCollectorRegistry
    private let datapath: (any NodeDatapath)?
    private let policy: PolicyController?
    private let open = Atomic<Int>(0)

    /// Listens on `address` now, so that a taken port is an error at startup. Throws
    /// `AgentError.cannotServe`.
    public init(address: HostPort, status: AgentStatus, registry: PrometheusCollectorRegistry,
                datapath: (any NodeDatapath)?, policy: PolicyController? = nil) async throws {
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: address.host, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw AgentError.cannotServe(address: address.description, reason: "\(error)")
        }
        self.status = status
        self.registry = registry
        self.datapath = datapath
        self.policy = policy
    }

    /// The port it listens on (useful when bound to port 0).
    public var port: Int? { channel.channel.localAddress?.port }

    /// Serves until the task is cancelled.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await channel.executeThenClose { connections in
                for try await connection in connections {
                    guard open.add(1, ordering: .relaxed).newValue <= Self.maximumConnections else {
                        open.subtract(1, ordering: .relaxed)
                        try? await connection.channel.close()
                        continue
                    }
                    group.addTask {
                        defer { self.open.subtract(1, ordering: .relaxed) }
                        await self.serveWithTimeout(connection)
                    }
                }
            }
        }
    }

    private func serveWithTimeout(_ connection: Connection) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await self.serve(connection) }
            group.addTask { try? await Task.sleep(for: Self.requestTimeout) }
            await group.next()
            group.cancelAll()
            try? await connection.channel.close()
        }
    }

    private func serve(_ connection: Connection) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var path = "/"
            for try await part in inbound {
                switch part {
                case .head(let head): path = String(head.uri.prefix { $0 != "?" })
                case .body: continue
                case .end:
                    let (code, contentType, body) = await respond(to: path)
                    var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", "\(body.count)")])
                    headers.add(name: "Connection", value: "close")
                    try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: code, headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
                    try await outbound.write(.end(nil))
                    return
                }
            }
        }
    }

    private func respond(to path: String) async -> (HTTPResponseStatus, String, [UInt8]) {
        switch path {
        case "/healthz":
            return (.ok, "text/plain", Array("ok\n".utf8))
        case "/readyz":
            let facts = await status.facts
            return facts.isReady ? (.ok, "text/plain", Array("ready\n".utf8))
                : (.serviceUnavailable, "text/plain", Array("not ready: \(facts.phase.rawValue)\n".utf8))
        case "/metrics":
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return (.ok, "text/plain; version=0.0.4", buffer)
        case "/status":
            let body = (try? await status.snapshot().json()) ?? Data()
            return (.ok, "application/json", Array(body))
        case "/diagnose":
            let (datapath, policy) = (datapath, policy)
            let findings = await Task.detached { (datapath?.diagnose() ?? []) + (policy?.diagnose() ?? []) }.value
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return (.ok, "application/json", Array((try? encoder.encode(findings)) ?? Data()))
        case "/policy":
            let policy = policy
            let report = await Task.detached { policy?.report() ?? PolicyReport(enabled: false) }.value
            return (.ok, "application/json", Array((try? report.json()) ?? Data()))
        default:
            return (.notFound, "text/plain", Array("not found: \(path)\n".utf8))
        }
    }
}
