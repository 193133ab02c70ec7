import FoundationEssentials
import YAML

extension KubeClientConfig {
    /// The configuration a kubeconfig file (`--kubeconfig`) selects: its `current-context` (or
    /// `context`), that context's cluster (`server`, `certificate-authority-data` or
    /// `certificate-authority`, `insecure-skip-tls-verify`) and user (`token`, `tokenFile`, or
    /// `client-certificate(-data)` with `client-key(-data)`). Relative file paths are relative to
    /// the kubeconfig's directory, as kubectl resolves them; `-data` entries are base64.
    /// Throws `KubeError.unreadableFile` or `.invalidKubeconfig` naming the bad entry.
    public static func kubeconfig(path: String, context: String? = nil) throws(KubeError) -> KubeClientConfig {
        let text = String(decoding: try readFile(path), as: UTF8.self)
        let file: KubeconfigFile
        do {
            file = try YAMLReader.decode(KubeconfigFile.self, from: text)
        } catch {
            throw .invalidKubeconfig(path: path, detail: "not a kubeconfig: \(error)")
        }
        return try file.resolve(path: path, context: context)
    }
}

/// A kubeconfig file, as much of it as an agent uses (`kubectl config view` shows the format).
struct KubeconfigFile: Decodable {
    var currentContext: String?
    var clusters: [Named<Cluster>]?
    var contexts: [Named<Context>]?
    var users: [Named<User>]?

    enum CodingKeys: String, CodingKey {
        case currentContext = "current-context", clusters, contexts, users
    }

    struct Named<Value: Decodable>: Decodable {
        var name: String
        var value: Value?

        enum CodingKeys: String, CodingKey {
            case name, cluster, context, user
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            let key = [CodingKeys.cluster, .context, .user].first { container.contains($0) }
            value = try key.flatMap { try container.decodeIfPresent(Value.self, forKey: $0) }
        }
    }

    struct Cluster: Decodable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?

        enum CodingKeys: String, CodingKey {
            case server, certificateAuthority = "certificate-authority",
                 certificateAuthorityData = "certificate-authority-data", insecureSkipTLSVerify = "insecure-skip-tls-verify"
        }
    }

    struct Context: Decodable {
        var cluster: String?
        var user: String?
    }

    struct User: Decodable {
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?

        enum CodingKeys: String, CodingKey {
            case token, tokenFile, clientCertificate = "client-certificate", clientCertificateData = "client-certificate-data",
                 clientKey = "client-key", clientKeyData = "client-key-data"
        }
    }

    /// The configuration context `context` (default: `current-context`) selects.
    func resolve(path: String, context name: String?) throws(KubeError) -> KubeClientConfig {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        func fail(_ detail: String) -> KubeError { .invalidKubeconfig(path: path, detail: detail) }
        func bytes(data: String?, file: String?, entry: String) throws(KubeError) -> [UInt8]? {
            if let data {
                guard let decoded = Data(base64Encoded: data, options: .ignoreUnknownCharacters) else {
                    throw fail("\(entry)-data is not base64")
                }
                return Array(decoded)
            }
            return try file.map { file throws(KubeError) in try readFile(file.hasPrefix("/") ? file : directory + "/" + file) }
        }

        guard let contextName = name ?? currentContext, !contextName.isEmpty else { throw fail("no current-context") }
        guard let context = contexts?.first(where: { $0.name == contextName })?.value else {
            throw fail("context \"\(contextName)\" not found")
        }
        guard let clusterName = context.cluster, let cluster = clusters?.first(where: { $0.name == clusterName })?.value else {
            throw fail("cluster \"\(context.cluster ?? "")\" of context \"\(contextName)\" not found")
        }
        guard let server = cluster.server, !server.isEmpty else { throw fail("cluster \"\(clusterName)\" has no server") }
        let certificateAuthority = try bytes(data: cluster.certificateAuthorityData, file: cluster.certificateAuthority,
                                             entry: "certificate-authority")
        var credential = KubeCredential.none
        if let userName = context.user, !userName.isEmpty {
            guard let user = users?.first(where: { $0.name == userName })?.value else {
                throw fail("user \"\(userName)\" of context \"\(contextName)\" not found")
            }
            if let token = user.token {
                credential = .token(token)
            } else if let tokenFile = user.tokenFile {
                credential = .tokenFile(path: tokenFile.hasPrefix("/") ? tokenFile : directory + "/" + tokenFile)
            } else if let certificate = try bytes(data: user.clientCertificateData, file: user.clientCertificate, entry: "client-certificate") {
                guard let key = try bytes(data: user.clientKeyData, file: user.clientKey, entry: "client-key") else {
                    throw fail("user \"\(userName)\" has a client certificate but no client-key")
                }
                credential = .clientCertificate(certificate: certificate, key: key, source: "\(path) user \(userName)")
            }
        }
        return KubeClientConfig(server: server, certificateAuthority: certificateAuthority, credential: credential,
                                insecureSkipTLSVerify: cluster.insecureSkipTLSVerify ?? false)
    }
}
