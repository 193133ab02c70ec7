/// Every failure of the Kubernetes datastore: configuration (in-cluster or kubeconfig), the API
/// client and `KubernetesNodeSource`. Cases carry the file, the request (verb and resource as RBAC
/// names them) and what the API server said; nothing is a bare string to match on.
public enum KubeError: Error, Hashable, Sendable {
    /// Running in a pod was assumed, but `KUBERNETES_SERVICE_HOST` / `_PORT` are not set.
    case notInCluster
    /// A configuration file (kubeconfig, service-account token, CA bundle, client certificate)
    /// could not be read.
    case unreadableFile(path: String, detail: String)
    /// The kubeconfig does not say what is needed: `detail` names the missing or bad entry.
    case invalidKubeconfig(path: String, detail: String)
    /// A certificate or key (PEM) did not load; `source` is its file or kubeconfig entry.
    case invalidCredential(source: String, detail: String)
    /// The API server's URL is not a usable `https://HOST[:PORT]` (or `http://`) URL.
    case invalidServer(String)
    /// The API server could not be reached, or the connection broke, during `verb` on `resource`.
    case connectionFailed(server: String, verb: String, resource: String, detail: String)
    /// The API server did not answer `verb` on `resource` in time.
    case timedOut(server: String, verb: String, resource: String)
    /// 401: the API server does not accept the credential (an expired or rotated token, a
    /// certificate from another CA).
    case unauthorized(server: String, verb: String, resource: String, message: String)
    /// 403: the credential is valid but RBAC does not grant `verb` on `resource` (`nodes`,
    /// `nodes/status`); the ClusterRole must allow it.
    case forbidden(verb: String, resource: String, name: String?, message: String)
    /// 404: the object `name` of `resource` does not exist (this node's Node object, usually).
    case notFound(resource: String, name: String)
    /// 410 Gone, as an HTTP status or a watch ERROR event: the resourceVersion (or continue
    /// token) is older than the API server keeps. List again.
    case gone(resource: String, message: String)
    /// Any other status the API server answered with; 5xx and 429 are worth retrying.
    case serverError(verb: String, resource: String, code: Int, reason: String, message: String)
    /// The answer was not the JSON the API defines for `verb` on `resource`.
    case malformedResponse(verb: String, resource: String, detail: String)
    /// A watch stream ended in the middle of an event or with a broken connection; resume from
    /// the last resourceVersion seen.
    case watchDisconnected(server: String, detail: String)

    /// True for failures that retrying later may fix: an unreachable or overloaded API server,
    /// broken streams, 5xx and 429. 401 and 403 are not: they need a new credential or RBAC rule.
    public var isRetryable: Bool {
        switch self {
        case .connectionFailed, .timedOut, .watchDisconnected, .malformedResponse, .gone:
            true
        case .serverError(_, _, let code, _, _):
            code >= 500 || code == 429
        case .notInCluster, .unreadableFile, .invalidKubeconfig, .invalidCredential, .invalidServer,
             .unauthorized, .forbidden, .notFound:
            false
        }
    }
}

extension KubeError: CustomStringConvertible {
    /// One line for logs and for `NodeSourceEvent.unavailable(reason:)`; 401 and 403 say what to fix.
    public var description: String {
        switch self {
        case .notInCluster:
            "not running in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (use --kubeconfig)"
        case .unreadableFile(let path, let detail):
            "cannot read \(path): \(detail)"
        case .invalidKubeconfig(let path, let detail):
            "kubeconfig \(path): \(detail)"
        case .invalidCredential(let source, let detail):
            "credential \(source) does not load: \(detail)"
        case .invalidServer(let server):
            "invalid API server URL \(server) (want https://HOST[:PORT])"
        case .connectionFailed(let server, let verb, let resource, let detail):
            "API server \(server): \(verb) \(resource): connection failed: \(detail)"
        case .timedOut(let server, let verb, let resource):
            "API server \(server): \(verb) \(resource): timed out"
        case .unauthorized(let server, let verb, let resource, let message):
            "API server \(server) refused the credential for \(verb) \(resource) (401 \(message)): the service-account token or client certificate is not valid there"
        case .forbidden(let verb, let resource, let name, let message):
            "RBAC: the agent may not \(verb) \(resource)\(name.map { " \"\($0)\"" } ?? ""): grant verb \"\(verb)\" on resource \"\(resource)\" in its ClusterRole (403 \(message))"
        case .notFound(let resource, let name):
            "\(resource) \"\(name)\" not found"
        case .gone(let resource, let message):
            "\(resource): 410 Gone: \(message)"
        case .serverError(let verb, let resource, let code, let reason, let message):
            "\(verb) \(resource): HTTP \(code) \(reason): \(message)"
        case .malformedResponse(let verb, let resource, let detail):
            "\(verb) \(resource): malformed response: \(detail)"
        case .watchDisconnected(let server, let detail):
            "API server \(server): watch nodes: stream broke: \(detail)"
        }
    }
}
