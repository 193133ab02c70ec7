import NIOSSL

/// The files of a TLS connection to etcd, as kubeadm's etcd wants them (`--etcd-cafile`,
/// `--etcd-certfile`, `--etcd-keyfile`): the CA that signed the servers' certificates, and the
/// client certificate and key that `--client-cert-auth` asks for. They apply to `https://`
/// endpoints; every field is optional (no CA: the system's roots; no certificate: none sent).
public struct EtcdTLSFiles: Hashable, Sendable {
    /// PEM bundle of the CA(s) the servers' certificates must chain to.
    public var caFile: String?
    /// PEM client certificate (chain), sent when the server asks for one.
    public var certFile: String?
    /// PEM private key of `certFile`.
    public var keyFile: String?

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }

    /// True when no file is given.
    public var isEmpty: Bool { caFile == nil && certFile == nil && keyFile == nil }

    /// The client TLS configuration, the files read now (so a bad path fails at start-up, not at
    /// the first request); `nil` when no file is given.
    /// - Throws: `EtcdError.invalidTLSFiles` naming the file that cannot be read or parsed, or a
    ///   certificate given without its key (or a key without its certificate).
    func configuration() throws(EtcdError) -> TLSConfiguration? {
        guard !isEmpty else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        // TLS 1.2, where the server's verdict on the client certificate is part of the handshake:
        // under 1.3 it comes after it, and a refused certificate shows only as a closed
        // connection, with no reason to report.
        configuration.maximumTLSVersion = .tlsv12
        if let caFile {
            configuration.trustRoots = .certificates(try Self.load("CA file", caFile) { try NIOSSLCertificate.fromPEMFile($0) })
        }
        switch (certFile, keyFile) {
        case (nil, nil):
            break
        case (let certFile?, let keyFile?):
            configuration.certificateChain = try Self.load("client certificate", certFile) {
                try NIOSSLCertificate.fromPEMFile($0)
            }.map { .certificate($0) }
            configuration.privateKey = .privateKey(try Self.load("client key", keyFile) {
                try NIOSSLPrivateKey(file: $0, format: .pem)
            })
        case (_?, nil):
            throw .invalidTLSFiles(detail: "a client certificate needs its key (--etcd-keyfile)")
        case (nil, _?):
            throw .invalidTLSFiles(detail: "a client key needs its certificate (--etcd-certfile)")
        }
        return configuration
    }

    private static func load<T>(_ what: String, _ path: String, _ read: (String) throws -> T) throws(EtcdError) -> T {
        do {
            return try read(path)
        } catch {
            throw .invalidTLSFiles(detail: "\(what) \(path) cannot be read as PEM: \(error)")
        }
    }

    /// A TLS failure of a connection as one line an operator can act on, or `nil` when `error`
    /// is not a TLS failure.
    static func failureReason(_ error: any Error) -> String? {
        guard error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError else { return nil }
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the server's certificate is not trusted: it is not signed by the CA of --etcd-cafile, expired, or not issued for this address (\(text))"
        }
        if text.contains("CERTIFICATE_REQUIRED") || text.contains("HANDSHAKE_FAILURE") || text.contains("BAD_CERTIFICATE")
            || text.contains("CERTIFICATE_EXPIRED") || text.contains("UNKNOWN_CA") {
            return "the server refused this client's certificate: none given (--etcd-certfile, --etcd-keyfile), expired, or not signed by the CA the server trusts (\(text))"
        }
        return "TLS failed: \(text)"
    }
}
