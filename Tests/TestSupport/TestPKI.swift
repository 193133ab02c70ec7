import Foundation

/// A throwaway certificate authority in a directory of its own, made with `openssl` (P-256 keys):
/// `issue` signs server and client certificates, also already expired ones. `remove()` deletes
/// the directory.
public struct TestPKI: Sendable {
    /// Where `ca.crt`, `ca.key` and every issued `NAME.crt` / `NAME.key` are.
    public let directory: String
    /// The CA certificate (PEM).
    public var caFile: String { directory + "/ca.crt" }

    /// A new CA whose subject is `/CN=commonName`, valid for two days.
    public init(commonName: String = "trellis-test-ca") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-pki-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try run(["openssl", "req", "-x509"] + Self.newKey + ["-keyout", directory + "/ca.key", "-out", caFile,
                 "-days", "2", "-subj", "/CN=\(commonName)"])
    }

    /// A certificate and key signed by this CA: `(certificate, key)` paths. `addresses` become IP
    /// subject alternative names (what a server certificate needs); `expired` makes one whose
    /// validity ended when it was made (it is expired a second later).
    public func issue(_ name: String, commonName: String, addresses: [String] = [], expired: Bool = false) throws
        -> (certFile: String, keyFile: String) {
        let base = directory + "/" + name
        try run(["openssl", "req"] + Self.newKey + ["-keyout", base + ".key", "-out", base + ".csr", "-subj", "/CN=\(commonName)"])
        var extensions = "extendedKeyUsage=serverAuth,clientAuth\n"
        if !addresses.isEmpty { extensions += "subjectAltName=" + addresses.map { "IP:\($0)" }.joined(separator: ",") + "\n" }
        try extensions.write(toFile: base + ".ext", atomically: true, encoding: .utf8)
        try run(["openssl", "x509", "-req", "-in", base + ".csr", "-CA", caFile, "-CAkey", directory + "/ca.key",
                 "-set_serial", "\(UInt32.random(in: 1 ... .max))", "-days", expired ? "0" : "2",
                 "-extfile", base + ".ext", "-out", base + ".crt"])
        return (base + ".crt", base + ".key")
    }

    /// Deletes the directory.
    public func remove() { try? FileManager.default.removeItem(atPath: directory) }

    private static let newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
}
