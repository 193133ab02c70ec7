import AsyncHTTPClient
import FoundationEssentials
import NIOSSL
import Synchronization

/// A client of etcd v3's JSON gateway (`POST /v3/kv/range`, `/v3/lease/grant`, `/v3/watch`, ...)
/// over several endpoints of one cluster.
///
/// Failover: every request starts at the endpoint that last answered and moves on to the next on
/// a connection error, a timeout or an HTTP 5xx; a 4xx (a request etcd refuses) is thrown at
/// once. When every endpoint failed the error is `.allEndpointsFailed` with one error each.
/// Each request has `requestTimeout` to get its answer; watches have it to get established and
/// then stream for as long as the server keeps them.
///
/// A retried write may have been applied by the endpoint that timed out: callers that must know
/// (create-if-absent) check what the key holds when the transaction reports failure.
public final class EtcdClient: Sendable {
    /// The endpoints, as given (`http://HOST:PORT`, no trailing slash).
    public let endpoints: [String]
    /// How long one request may take on one endpoint.
    public let requestTimeout: Duration
    /// The endpoint that answered last: where the next request starts.
    private let preferred = Mutex(0)
    /// The client side of TLS for `https://` endpoints, when files were given.
    private let tls: TLSConfiguration?

    /// Validates `endpoints` (`http://HOST:PORT` or `https://HOST:PORT`, tried in order) and
    /// reads the TLS files. Throws `EtcdError.noEndpoints`, `.invalidEndpoint` or `.invalidTLSFiles`.
    public init(endpoints: [String], tls files: EtcdTLSFiles = EtcdTLSFiles(),
                requestTimeout: Duration = .seconds(5)) throws(EtcdError) {
        guard !endpoints.isEmpty else { throw .noEndpoints }
        self.endpoints = try endpoints.map { endpoint throws(EtcdError) in
            let trimmed = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
            guard let url = URL(string: trimmed), let scheme = url.scheme, ["http", "https"].contains(scheme),
                  url.host != nil, url.path.isEmpty else {
                throw .invalidEndpoint(endpoint)
            }
            return trimmed
        }
        self.requestTimeout = requestTimeout
        tls = try files.configuration()
    }

    /// The endpoints in the order the next request tries them.
    private var rotation: [(index: Int, endpoint: String)] {
        let start = preferred.withLock { $0 }
        return (0..<endpoints.count).map { offset in
            let index = (start + offset) % endpoints.count
            return (index, endpoints[index])
        }
    }

    /// Sends `body` to `/v3/<operation>` on each endpoint in turn until one answers with 2xx and
    /// decodes it as `Response`. `key` only labels errors.
    func call<Response: Decodable>(_ operation: String, _ body: some Encodable, key: String?,
                                   as _: Response.Type = Response.self) async throws -> Response {
        let payload = try JSONEncoder().encode(body)
        return try await withFailover(operation) { endpoint in
            let response = try await post(payload, to: endpoint, operation: operation, key: key, via: EtcdHTTP.unary)
            let body: Data
            do {
                body = Data(try await response.body.collect(upTo: EtcdHTTP.maximumBodySize).readableBytesView)
            } catch {
                throw transportError(error, endpoint: endpoint, operation: operation)
            }
            return try decode(Response.self, from: body, endpoint: endpoint, operation: operation)
        }
    }

    /// Opens a streaming POST (a watch) on the first endpoint that answers it with 2xx, and
    /// returns the endpoint with the response, whose body streams until the server ends it.
    func openStream(_ operation: String, _ body: some Encodable, key: String) async throws -> (endpoint: String, response: HTTPClientResponse) {
        let payload = try JSONEncoder().encode(body)
        return try await withFailover(operation) { endpoint in
            (endpoint, try await post(payload, to: endpoint, operation: operation, key: key, via: EtcdHTTP.streaming))
        }
    }

    /// Runs `attempt` against each endpoint in turn, from the one that answered last, until one
    /// succeeds; a retryable `EtcdError` moves on to the next, anything else is thrown at once.
    private func withFailover<T>(_ operation: String, _ attempt: (String) async throws -> T) async throws -> T {
        var failures: [EtcdError] = []
        for (index, endpoint) in rotation {
            do {
                let result = try await attempt(endpoint)
                preferred.withLock { $0 = index }
                return result
            } catch let error as EtcdError where error.isRetryable {
                failures.append(error)
            }
        }
        throw EtcdError.allEndpointsFailed(operation: operation, errors: failures)
    }

    /// POSTs `payload` to `/v3/<operation>` on one endpoint; returns the response once its head
    /// says 2xx (its body still to be read), else throws the status as `EtcdError`.
    private func post(_ payload: Data, to endpoint: String, operation: String, key: String?,
                      via http: HTTPClient) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: "\(endpoint)/v3/\(operation)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(Array(payload))
        request.tlsConfiguration = tls
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .init(requestTimeout))
        } catch {
            throw transportError(error, endpoint: endpoint, operation: operation)
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let body = (try? await response.body.collect(upTo: EtcdHTTP.maximumBodySize))
                .map { Data($0.readableBytesView) } ?? Data()
            throw statusError(status: status, body: body, endpoint: endpoint, operation: operation, key: key)
        }
        return response
    }

    /// Decodes a gateway answer; a body that does not fit is `.malformedResponse`.
    func decode<Response: Decodable>(_: Response.Type, from body: Data, endpoint: String,
                                     operation: String) throws -> Response {
        do {
            return try JSONDecoder().decode(Response.self, from: body)
        } catch {
            throw EtcdError.malformedResponse(endpoint: endpoint, operation: operation,
                                              detail: "\(error) in \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
    }

    /// Maps what AsyncHTTPClient throws to `EtcdError`, keeping cancellation as such.
    func transportError(_ error: any Error, endpoint: String, operation: String) -> any Error {
        if Task.isCancelled || error is CancellationError { return CancellationError() }
        if let error = error as? EtcdError { return error }
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout {
            return EtcdError.timedOut(endpoint: endpoint, operation: operation)
        }
        if let reason = EtcdTLSFiles.failureReason(error) {
            return EtcdError.tlsFailed(endpoint: endpoint, operation: operation, reason: reason)
        }
        // TLS files with an http:// endpoint, and the server hangs up: it is the TLS etcd they are for.
        if tls != nil, endpoint.hasPrefix("http://"), let error = error as? HTTPClientError, error == .remoteConnectionClosed {
            return EtcdError.tlsFailed(endpoint: endpoint, operation: operation, reason: Self.plainHTTPToTLS)
        }
        return EtcdError.connectionFailed(endpoint: endpoint, operation: operation, detail: "\(error)")
    }

    /// What an etcd serving TLS does to plain http: it closes the connection (or Go's listener
    /// answers 400).
    static let plainHTTPToTLS = "the server closed the connection without answering plain http, as an etcd serving TLS does: "
        + "use an https:// endpoint (with --etcd-cafile and, for --client-cert-auth, --etcd-certfile and --etcd-keyfile)"

    /// A non-2xx answer as `EtcdError`: 5xx is `.serverError` (try elsewhere), 4xx is
    /// `.requestRejected` with the gRPC code from the gateway's error body.
    func statusError(status: Int, body: Data, endpoint: String, operation: String, key: String?) -> EtcdError {
        let parsed = try? JSONDecoder().decode(WireErrorBody.self, from: body)
        let message = parsed?.message ?? parsed?.error ?? String(decoding: body.prefix(200), as: UTF8.self)
        // Go's TLS listener answers plain HTTP with this 400 (an etcd with TLS on its client URL).
        if status == 400, message.contains("HTTP request to an HTTPS server") {
            return .tlsFailed(endpoint: endpoint, operation: operation, reason: Self.plainHTTPToTLS)
        }
        if status >= 500 {
            return .serverError(endpoint: endpoint, operation: operation, key: key, status: status, message: message)
        }
        return .requestRejected(endpoint: endpoint, operation: operation, key: key, status: status,
                                code: parsed?.code ?? 0, message: message)
    }
}
