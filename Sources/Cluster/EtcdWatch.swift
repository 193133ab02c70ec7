import AsyncHTTPClient
import FoundationEssentials
import NIOCore

extension EtcdClient {
    /// Watches the keys `selector` covers from `revision` on (`POST /v3/watch`, one streaming
    /// response). Nothing is sent until the sequence is iterated.
    ///
    /// The sequence yields one `EtcdWatchBatch` per result, the first (empty) one once the watch
    /// is established; empty ones later are etcd's progress notifications (asked for, so that an
    /// idle stream still carries data and a dead one is noticed: see `EtcdHTTP.streaming`). It never ends quietly: it throws `.compacted` when `revision` is no
    /// longer kept (list again, then watch from the list's revision + 1),
    /// `.watchDisconnected` or `.connectionFailed` when the stream breaks (watch again from the
    /// last batch's revision + 1), `.allEndpointsFailed` when no endpoint accepts the watch, and
    /// `CancellationError` when the iterating task is cancelled.
    public func watch(_ selector: EtcdKeySelector, fromRevision revision: Int64) -> EtcdWatch {
        EtcdWatch(client: self, selector: selector, startRevision: revision)
    }
}

/// The changes of a watched key range, as an `AsyncSequence` of `EtcdWatchBatch`
/// (see `EtcdClient.watch`). Each iteration opens its own stream.
public struct EtcdWatch: AsyncSequence, Sendable {
    /// One gateway result.
    public typealias Element = EtcdWatchBatch

    let client: EtcdClient
    let selector: EtcdKeySelector
    let startRevision: Int64

    /// An iterator that opens its own watch stream on its first `next()`.
    public func makeAsyncIterator() -> Iterator {
        Iterator(watch: self)
    }

    /// Reads the streaming response, one gateway result at a time.
    public struct Iterator: AsyncIteratorProtocol {
        private let watch: EtcdWatch
        private var endpoint = ""
        private var body: HTTPClientResponse.Body.AsyncIterator?
        private var splitter = JSONObjectSplitter()
        private var ready: [[UInt8]] = []

        init(watch: EtcdWatch) {
            self.watch = watch
        }

        /// The next batch; throws as `EtcdClient.watch` describes, never returns nil.
        public mutating func next() async throws -> EtcdWatchBatch? {
            if body == nil {
                let request = WireWatchRequest(create_request: WireWatchCreate(
                    key: WireBytes(watch.selector.key), range_end: watch.selector.rangeEnd,
                    start_revision: WireInt64(watch.startRevision), progress_notify: true))
                let opened = try await watch.client.openStream("watch", request, key: watch.selector.key)
                endpoint = opened.endpoint
                body = opened.response.body.makeAsyncIterator()
            }
            while true {
                if !ready.isEmpty {
                    let object = ready.removeFirst()
                    if let batch = try batch(from: object) { return batch }
                    continue
                }
                let chunk: ByteBuffer?
                do {
                    chunk = try await body?.next()
                } catch {
                    throw watch.client.transportError(error, endpoint: endpoint, operation: "watch")
                }
                guard let chunk else {
                    if Task.isCancelled { throw CancellationError() }
                    throw EtcdError.watchDisconnected(endpoint: endpoint, key: watch.selector.key)
                }
                ready = splitter.append(chunk.readableBytesView)
                guard splitter.pendingCount <= EtcdHTTP.maximumBodySize else {
                    throw EtcdError.malformedResponse(endpoint: endpoint, operation: "watch",
                                                      detail: "a result larger than \(EtcdHTTP.maximumBodySize) bytes")
                }
            }
        }

        /// Decodes one object of the stream; nil for one that carries nothing to report.
        private func batch(from object: [UInt8]) throws -> EtcdWatchBatch? {
            let message = try watch.client.decode(WireWatchMessage.self, from: Data(object),
                                                  endpoint: endpoint, operation: "watch")
            let key = watch.selector.key
            if let error = message.error {
                let status = error.http_code ?? 500
                let text = error.message ?? "watch error"
                if status >= 500 {
                    throw EtcdError.serverError(endpoint: endpoint, operation: "watch", key: key, status: status, message: text)
                }
                throw EtcdError.requestRejected(endpoint: endpoint, operation: "watch", key: key, status: status,
                                                code: error.grpc_code ?? 0, message: text)
            }
            guard let result = message.result else { return nil }
            if result.canceled == true {
                if let compacted = result.compact_revision?.value, compacted > 0 {
                    throw EtcdError.compacted(key: key, compactRevision: compacted)
                }
                throw EtcdError.watchCanceled(endpoint: endpoint, key: key, reason: result.cancel_reason ?? "no reason given")
            }
            if result.created == true {
                // The header carries the store's current revision, but a watch from an older
                // revision has not delivered those events yet: resuming must start over.
                return EtcdWatchBatch(revision: watch.startRevision - 1, events: [])
            }
            let events = (result.events ?? []).map { event in
                EtcdEvent(kind: event.type == "DELETE" ? .delete : .put, kv: EtcdKeyValue(event.kv))
            }
            return EtcdWatchBatch(revision: result.header?.revision?.value ?? 0, events: events)
        }
    }
}
