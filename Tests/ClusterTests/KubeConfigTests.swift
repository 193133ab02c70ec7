@testable import Cluster
import Foundation
import Testing

private func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
}

@Suite("Kubernetes client configuration: kubeconfig and in-cluster")
struct KubeConfigTests {
    @Test("kubeconfig: the current context's cluster, CA data and bearer token are chosen, not another context's")
    func tokenAndCAData() throws {
        let config = try KubeClientConfig.kubeconfig(path: fixture("kubeconfig-token.yaml"))
        #expect(config.server == "https://198.18.0.2:6443")
        #expect(config.certificateAuthority == Array("test CA bundle\n".utf8))
        #expect(config.credential == .token("eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.payload.signature"))
        #expect(!config.insecureSkipTLSVerify)
    }

    @Test("kubeconfig: an explicit context overrides current-context")
    func explicitContext() throws {
        let config = try KubeClientConfig.kubeconfig(path: fixture("kubeconfig-token.yaml"), context: "admin@other")
        #expect(config.server == "https://10.0.0.1:6443")
        #expect(config.credential == .token("not-this-one"))
        #expect(config.certificateAuthority == nil)
    }

    @Test("kubeconfig: client-certificate-data and client-key-data become a client certificate credential")
    func clientCertificateData() throws {
        let path = fixture("kubeconfig-client-cert.yaml")
        let config = try KubeClientConfig.kubeconfig(path: path)
        #expect(config.server == "https://[fd00::2]:6443")
        #expect(config.credential == .clientCertificate(certificate: Array("test client certificate\n".utf8),
                                                        key: Array("test client key\n".utf8),
                                                        source: "\(path) user kubernetes-admin"))
    }

    @Test("kubeconfig: certificate-authority and tokenFile paths are relative to the kubeconfig's directory")
    func relativeFiles() throws {
        let config = try KubeClientConfig.kubeconfig(path: fixture("kubeconfig-files.yaml"), context: "lab")
        #expect(config.server == "https://127.0.0.1:6443")
        #expect(config.certificateAuthority == Array("test CA bundle\n".utf8))
        #expect(config.credential == .tokenFile(path: fixture("kubeconfig-token")))
        #expect(try KubeTokenSource(credential: config.credential).token() == "token-from-file")
    }

    @Test("kubeconfig: kubeadm's admin.conf as kubeadm writes it (sorted keys, preferences: {}, certificate data)")
    func kubeadmAdminConf() throws {
        let path = fixture("kubeadm-admin.conf")
        let config = try KubeClientConfig.kubeconfig(path: path)
        #expect(config.server == "https://192.0.2.10:6443")
        #expect(config.certificateAuthority == Array("-----BEGIN CERTIFICATE-----\nkubeadm test CA\n-----END CERTIFICATE-----\n".utf8))
        #expect(config.credential == .clientCertificate(
            certificate: Array("-----BEGIN CERTIFICATE-----\nkubernetes-admin\n-----END CERTIFICATE-----\n".utf8),
            key: Array("-----BEGIN RSA PRIVATE KEY-----\nadmin key\n-----END RSA PRIVATE KEY-----\n".utf8),
            source: "\(path) user kubernetes-admin"))
    }

    @Test("kubeconfig: a hand-edited file (comments, indented sequences, quotes, flow style, entries the agent ignores)")
    func handEdited() throws {
        let config = try KubeClientConfig.kubeconfig(path: fixture("kubeconfig-hand-edited.yaml"))
        #expect(config.server == "https://[2001:db8::10]:6443")
        #expect(config.insecureSkipTLSVerify)
        #expect(config.certificateAuthority == nil)
        #expect(config.credential == .token("abc.def:ghi"))
    }

    @Test("kubeconfig: YAML outside the subset it reads is an error naming the line, not a misreading")
    func unsupportedYAML() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-kubeconfig-\(UUID().uuidString).yaml").path
        try "clusters:\n- &lab\n  name: lab\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: KubeError.invalidKubeconfig(path: path, detail: "not a kubeconfig: line 2: anchors, aliases and tags are not supported")) {
            try KubeClientConfig.kubeconfig(path: path)
        }
    }

    @Test("kubeconfig: no current-context, an unknown context, or a missing file are errors naming what is wrong")
    func errors() throws {
        let files = fixture("kubeconfig-files.yaml")
        #expect(throws: KubeError.invalidKubeconfig(path: files, detail: "no current-context")) {
            try KubeClientConfig.kubeconfig(path: files)
        }
        #expect(throws: KubeError.invalidKubeconfig(path: files, detail: "context \"nope\" not found")) {
            try KubeClientConfig.kubeconfig(path: files, context: "nope")
        }
        #expect {
            try KubeClientConfig.kubeconfig(path: fixture("absent.yaml"))
        } throws: { error in
            guard case KubeError.unreadableFile(let path, _) = error else { return false }
            return path == fixture("absent.yaml")
        }
    }

    @Test("in-cluster: server from KUBERNETES_SERVICE_HOST/PORT (IPv6 bracketed), CA and token from the service-account directory")
    func inCluster() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-sa-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "ca bundle".write(toFile: directory + "/ca.crt", atomically: true, encoding: .utf8)
        try "first\n".write(toFile: directory + "/token", atomically: true, encoding: .utf8)

        let config = try KubeClientConfig.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "fd00:10:96::1", "KUBERNETES_SERVICE_PORT": "443"],
            serviceAccountDirectory: directory)
        #expect(config.server == "https://[fd00:10:96::1]:443")
        #expect(config.certificateAuthority == Array("ca bundle".utf8))
        #expect(config.credential == .tokenFile(path: directory + "/token"))

        // The token is cached, and read again once invalidated (as after a 401).
        let tokens = KubeTokenSource(credential: config.credential)
        #expect(try tokens.token() == "first")
        try "second\n".write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        #expect(try tokens.token() == "first")
        tokens.invalidate()
        #expect(try tokens.token() == "second")

        #expect(throws: KubeError.notInCluster) {
            try KubeClientConfig.inCluster(environment: [:], serviceAccountDirectory: directory)
        }
    }
}
