import Foundation
import TestSupport

/// A throwaway certificate authority with a server certificate for 127.0.0.1 and a client
/// certificate, made with `openssl` once per test process: client-go sends bearer tokens only
/// over TLS, so the test API server speaks HTTPS like the real one.
struct KubeTestPKI: Sendable {
    let directory: String
    var caPath: String { directory + "/ca.crt" }
    var serverCertificatePath: String { directory + "/server.crt" }
    var serverKeyPath: String { directory + "/server.key" }
    var clientCertificatePath: String { directory + "/client.crt" }
    var clientKeyPath: String { directory + "/client.key" }

    /// The CA bundle's PEM bytes.
    var ca: [UInt8] { Array(FileManager.default.contents(atPath: caPath) ?? Data()) }

    static let shared: Result<KubeTestPKI, any Error> = Result { try make() }

    /// The directory of this test process's certificates, removed when the process exits.
    private static func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("trellis-kube-pki-\(getpid())").path
    }

    private static func make() throws -> KubeTestPKI {
        let directory = directory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: KubeTestPKI.directory()) }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try run(["openssl", "req", "-x509"] + ec + ["-keyout", "\(directory)/ca.key", "-out", "\(directory)/ca.crt",
                 "-days", "2", "-subj", "/CN=trellis-test-ca"])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: "\(directory)/san.ext", atomically: true, encoding: .utf8)
        for (name, subject, extensions) in [("server", "/CN=kube-apiserver", true), ("client", "/CN=system:node:n1/O=system:nodes", false)] {
            try run(["openssl", "req"] + ec + ["-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr", "-subj", subject])
            try run(["openssl", "x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", "\(directory)/ca.crt",
                     "-CAkey", "\(directory)/ca.key", "-CAcreateserial", "-out", "\(directory)/\(name).crt", "-days", "2"]
                    + (extensions ? ["-extfile", "\(directory)/san.ext"] : []))
        }
        return KubeTestPKI(directory: directory)
    }
}
