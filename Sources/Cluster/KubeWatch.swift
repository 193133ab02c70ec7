import AsyncHTTPClient
import NIOCore

/// An established watch on one collection: its events in order, one JSON object per line of a
/// chunked response, however the chunks cut the lines.
struct KubeWatch<Object: KubeObject> {
    /// Longest event accepted (a Node with every annotation and managedFields is a few KiB).
    static var maximumEventSize: Int { 16 << 20 }

    let client: KubeClient
    /// The collection's name, for errors.
    let resource: String
    var body: HTTPClientResponse.Body.AsyncIterator
    private var splitter = JSONObjectSplitter()
    private var ready: [[UInt8]] = []

    init(client: KubeClient, resource: String, body: HTTPClientResponse.Body.AsyncIterator) {
        self.client = client
        self.resource = resource
        self.body = body
    }

    /// The next event, nil when the server ended the stream cleanly (its `timeoutSeconds`):
    /// resume from the last resourceVersion. Throws `.watchDisconnected` when the stream breaks,
    /// also in the middle of an event, `.timedOut` for a silent dead stream,
    /// `.malformedResponse` for an event that does not decode, `CancellationError`.
    mutating func next() async throws -> KubeWatchEvent<Object>? {
        let action = KubeClient.Action(verb: "watch", resource: resource)
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
                throw KubeError.malformedResponse(verb: "watch", resource: resource,
                                                  detail: "an event larger than \(Self.maximumEventSize) bytes")
            }
        }
        return try client.decode(KubeWatchEvent<Object>.self, from: ready.removeFirst(), action: action)
    }
}
