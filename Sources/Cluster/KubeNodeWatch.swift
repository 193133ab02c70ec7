import AsyncHTTPClient
import NIOCore

extension KubeClient {
    /// Opens `GET /api/v1/nodes?watch=1&resourceVersion=RV&allowWatchBookmarks=true&timeoutSeconds=T`
    /// and returns once the API server has accepted it (answered 200): the watch is established.
    /// The server ends the stream after `timeoutSeconds`; a stream silent for longer than that
    /// plus a minute (a dead connection) ends as `.timedOut`. Throws `KubeError` (`.gone` when
    /// the server refuses `resourceVersion` with an HTTP 410 rather than an ERROR event).
    func watchNodes(from resourceVersion: String, timeoutSeconds: Int) async throws -> KubeNodeWatch {
        let query = [("watch", "1"), ("resourceVersion", resourceVersion), ("allowWatchBookmarks", "true"),
                     ("timeoutSeconds", "\(timeoutSeconds)")]
        let response = try await send(.GET, "/api/v1/nodes", query: query, action: Action(verb: "watch", resource: "nodes"),
                                      via: EtcdHTTP.streaming, deadline: .now() + .seconds(Int64(timeoutSeconds) + 60))
        return KubeNodeWatch(client: self, body: response.body.makeAsyncIterator())
    }
}

/// An established watch on nodes: its events in order, one JSON object per line of a chunked
/// response, however the chunks cut the lines.
struct KubeNodeWatch {
    /// Longest event accepted (a Node with every annotation and managedFields is a few KiB).
    static let maximumEventSize = 16 << 20

    let client: KubeClient
    var body: HTTPClientResponse.Body.AsyncIterator
    private var splitter = JSONObjectSplitter()
    private var ready: [[UInt8]] = []

    init(client: KubeClient, body: HTTPClientResponse.Body.AsyncIterator) {
        self.client = client
        self.body = body
    }

    /// The next event, nil when the server ended the stream cleanly (its `timeoutSeconds`):
    /// resume from the last resourceVersion. Throws `.watchDisconnected` when the stream breaks,
    /// also in the middle of an event, `.timedOut` for a silent dead stream,
    /// `.malformedResponse` for an event that does not decode, `CancellationError`.
    mutating func next() async throws -> KubeWatchEvent? {
        let action = KubeClient.Action(verb: "watch", resource: "nodes")
        while ready.isEmpty {
            let chunk: ByteBuffer?
            do {
                chunk = try await body.next()
            } catch {
                let mapped = client.transportError(error, action: action)
                if case KubeError.connectionFailed(_, _, _, let detail) = mapped {
                    throw KubeError.watchDisconnected(server: client.config.server, detail: detail)
                }
                throw mapped
            }
            guard let chunk else {
                if Task.isCancelled { throw CancellationError() }
                guard splitter.pendingCount == 0 else {
                    throw KubeError.watchDisconnected(server: client.config.server, detail: "the stream ended inside an event")
                }
                return nil
            }
            ready = splitter.append(chunk.readableBytesView)
            guard splitter.pendingCount <= Self.maximumEventSize else {
                throw KubeError.malformedResponse(verb: "watch", resource: "nodes",
                                                  detail: "an event larger than \(Self.maximumEventSize) bytes")
            }
        }
        return try client.decode(KubeWatchEvent.self, from: ready.removeFirst(), action: action)
    }
}
