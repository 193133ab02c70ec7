import AsyncHTTPClient
import FoundationEssentials
import NIOCore
import NIOHTTP1
import NIOSSL

/// A small client of the Kubernetes API for what the agent does with Nodes: get, list (paged),
/// watch, merge-patch a node and strategic-merge-patch its status.
///
/// Requests go through the process-wide clients of `EtcdHTTP` with this configuration's TLS
/// settings (the server's CA, a client certificate) attached to each request, so a `KubeClient`
/// owns nothing that needs shutting down. A 401 on a token read from a file re-reads the file
/// and tries once more (kubelet rotates projected tokens). Errors are `KubeError`: 401 and 403
/// name the verb and resource the request needed, as RBAC rules spell them.
public final class KubeClient: Sendable {
    /// The configuration requests are made with.
    public let config: KubeClientConfig
    /// How long a request (for a watch: opening it) may take.
    public let requestTimeout: Duration
    let tls: TLSConfiguration?
    let tokens: KubeTokenSource

    /// Validates the server URL and loads the CA and client certificate. Throws
    /// `KubeError.invalidServer` or `.invalidCredential`.
    public init(config: KubeClientConfig, requestTimeout: Duration = .seconds(10),
                tokenRefreshInterval: Duration = .seconds(60)) throws(KubeError) {
        guard let url = URL(string: config.server), let scheme = url.scheme, ["https", "http"].contains(scheme),
              url.host != nil, url.path.isEmpty || url.path == "/" else {
            throw .invalidServer(config.server)
        }
        self.config = config
        self.requestTimeout = requestTimeout
        tokens = KubeTokenSource(credential: config.credential, refreshInterval: tokenRefreshInterval)
        tls = scheme == "https" ? try Self.tlsConfiguration(config) : nil
    }

    private static func tlsConfiguration(_ config: KubeClientConfig) throws(KubeError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let authority = config.certificateAuthority {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(authority))
            } catch {
                throw .invalidCredential(source: "certificate authority of \(config.server)", detail: "\(error)")
            }
        }
        if config.insecureSkipTLSVerify {
            tls.certificateVerification = .none
        }
        if case .clientCertificate(let certificate, let key, let source) = config.credential {
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(certificate).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            } catch {
                throw .invalidCredential(source: source, detail: "\(error)")
            }
        }
        return tls
    }

    /// What a request is, in RBAC's words, for errors: `get` `nodes` `worker-1`.
    struct Action {
        var verb: String
        var resource: String
        var name: String?
    }

    /// Sends one request and returns the response once its head says 2xx (its body still to be
    /// read); otherwise throws the answer as `KubeError`. `deadline` bounds the whole exchange.
    func send(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: [UInt8]? = nil,
              contentType: String? = nil, action: Action, via http: HTTPClient = EtcdHTTP.unary,
              deadline: NIODeadline? = nil) async throws -> HTTPClientResponse {
        var refreshed = false
        while true {
            var request = HTTPClientRequest(url: config.server + path + Self.queryString(query))
            request.method = method
            request.tlsConfiguration = tls
            request.headers.add(name: "Accept", value: "application/json")
            request.headers.add(name: "User-Agent", value: "trellisd")
            if let token = try tokens.token() {
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
            }
            if let body {
                request.body = .bytes(body)
                request.headers.add(name: "Content-Type", value: contentType ?? "application/json")
            }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, deadline: deadline ?? .now() + .init(requestTimeout))
            } catch {
                throw transportError(error, action: action)
            }
            let status = Int(response.status.code)
            if (200..<300).contains(status) { return response }
            let answer = (try? await response.body.collect(upTo: 1 << 20)).map { Array($0.readableBytesView) } ?? []
            if status == 401 && tokens.canRefresh && !refreshed {
                tokens.invalidate()
                refreshed = true
                continue
            }
            throw statusError(status: status, body: answer, action: action)
        }
    }

    /// Sends a request and decodes its JSON answer.
    func call<Response: Decodable>(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
                                   body: [UInt8]? = nil, contentType: String? = nil, action: Action,
                                   as _: Response.Type = Response.self) async throws -> Response {
        let response = try await send(method, path, query: query, body: body, contentType: contentType, action: action)
        let data: ByteBuffer
        do {
            data = try await response.body.collect(upTo: 256 << 20)
        } catch {
            throw transportError(error, action: action)
        }
        return try decode(Response.self, from: Array(data.readableBytesView), action: action)
    }

    /// Decodes an answer; one that does not fit is `.malformedResponse`.
    func decode<Response: Decodable>(_: Response.Type, from body: [UInt8], action: Action) throws -> Response {
        do {
            return try JSONDecoder().decode(Response.self, from: Data(body))
        } catch {
            throw KubeError.malformedResponse(verb: action.verb, resource: action.resource,
                                              detail: "\(error) in \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
    }

    /// Maps what AsyncHTTPClient throws to `KubeError`, keeping cancellation as such.
    func transportError(_ error: any Error, action: Action) -> any Error {
        if Task.isCancelled || error is CancellationError { return CancellationError() }
        if error is KubeError { return error }
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout {
            return KubeError.timedOut(server: config.server, verb: action.verb, resource: action.resource)
        }
        return KubeError.connectionFailed(server: config.server, verb: action.verb, resource: action.resource, detail: "\(error)")
    }

    /// A non-2xx answer, with the message of its `Status` body, as `KubeError`.
    func statusError(status: Int, body: [UInt8], action: Action) -> KubeError {
        let parsed = try? JSONDecoder().decode(KubeStatus.self, from: Data(body))
        let message = parsed?.message ?? String(decoding: body.prefix(200), as: UTF8.self)
        switch status {
        case 401: return .unauthorized(server: config.server, verb: action.verb, resource: action.resource, message: message)
        case 403: return .forbidden(verb: action.verb, resource: action.resource, name: action.name, message: message)
        case 404: return .notFound(resource: action.resource, name: action.name ?? "")
        case 410: return .gone(resource: action.resource, message: message)
        default:
            return .serverError(verb: action.verb, resource: action.resource, code: status,
                                reason: parsed?.reason ?? "", message: message)
        }
    }

    /// `?a=b&c=d`, percent-encoded; empty without parameters.
    static func queryString(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        return "?" + query.map { name, value in "\(name)=\(percentEncoded(value))" }.joined(separator: "&")
    }

    /// `value` with every byte but RFC 3986's unreserved characters (letters, digits, `-._~`)
    /// written as `%XX`.
    static func percentEncoded(_ value: String) -> String {
        var text = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                text.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                text += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return text
    }
}
