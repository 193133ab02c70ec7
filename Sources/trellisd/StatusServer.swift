import Foundation
import Overlay
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// Serves `/metrics` (Prometheus text), `/healthz` (the process is alive), `/readyz` (200 once
/// the datapath matches a complete list of nodes, 503 before and while the datastore is away)
/// and `/status` (JSON, read by `cnictl status`).
struct StatusServer: Sendable {
    let address: HostPort
    let status: AgentStatus
    let registry: PrometheusCollectorRegistry

    /// Binds and serves until the task is cancelled. Throws when the address cannot be bound.
    func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: address.host, port: address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask { try? await serve(connection) }
                }
            }
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async throws {
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
            let ready = await status.isReady
            return ready ? (.ok, "text/plain", Array("ready\n".utf8))
                : (.serviceUnavailable, "text/plain", Array("not ready: \(await status.report.phase.rawValue)\n".utf8))
        case "/metrics":
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return (.ok, "text/plain; version=0.0.4", buffer)
        case "/status":
            let body = (try? await status.report.json()) ?? Data()
            return (.ok, "application/json", Array(body))
        default:
            return (.notFound, "text/plain", Array("not found: \(path)\n".utf8))
        }
    }
}
