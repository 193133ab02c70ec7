import FoundationEssentials

/// Where the Kubernetes API server is and how to prove who the agent is: what `KubeClient` needs.
/// Made from the pod's service account (`inCluster`) or from a kubeconfig file (`kubeconfig`).
public struct KubeClientConfig: Hashable, Sendable {
    /// The API server's base URL, `https://HOST:PORT` without a trailing slash.
    public var server: String
    /// The CA bundle (PEM) the server's certificate must chain to; nil trusts the system's roots.
    public var certificateAuthority: [UInt8]?
    /// How requests authenticate.
    public var credential: KubeCredential
    /// Skips verifying the server's certificate (kubeconfig `insecure-skip-tls-verify`).
    public var insecureSkipTLSVerify: Bool

    /// A configuration; `server` loses a trailing slash.
    public init(server: String, certificateAuthority: [UInt8]? = nil, credential: KubeCredential = .none,
                insecureSkipTLSVerify: Bool = false) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.certificateAuthority = certificateAuthority
        self.credential = credential
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
    }

    /// The directory kubelet mounts a pod's service-account token and CA bundle into.
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The configuration of a pod: the API server at `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`,
    /// the CA bundle `ca.crt` and the token file `token` of `serviceAccountDirectory` (kubelet
    /// rotates the token in place: it is re-read, see `KubeCredential.tokenFile`).
    /// Throws `KubeError.notInCluster` without the variables, `.unreadableFile` without the CA bundle.
    public static func inCluster(environment: [String: String] = ProcessInfo.processInfo.environment,
                                 serviceAccountDirectory: String = serviceAccountDirectory) throws(KubeError) -> KubeClientConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw .notInCluster
        }
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        return KubeClientConfig(server: "https://\(authority)",
                                certificateAuthority: try readFile(serviceAccountDirectory + "/ca.crt"),
                                credential: .tokenFile(path: serviceAccountDirectory + "/token"))
    }
}

/// How requests to the API server authenticate.
public enum KubeCredential: Hashable, Sendable {
    /// No credential (a server that allows anonymous requests).
    case none
    /// A fixed bearer token.
    case token(String)
    /// A bearer token read from a file, re-read every minute and after a 401, because kubelet
    /// rotates projected service-account tokens in place.
    case tokenFile(path: String)
    /// A client certificate (PEM chain) and its private key (PEM); `source` names where they
    /// came from, for errors.
    case clientCertificate(certificate: [UInt8], key: [UInt8], source: String)
}

/// The bytes of the file at `path`; throws `KubeError.unreadableFile`.
func readFile(_ path: String) throws(KubeError) -> [UInt8] {
    do {
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
        throw .unreadableFile(path: path, detail: "\(error)")
    }
}
