import Cluster
import Foundation
import Testing
import TestSupport

extension EtcdIntegration {
/// etcd as kubeadm runs it: TLS on the client URL and `--client-cert-auth`. The client gets
/// through with the right CA and a client certificate; every way of getting it wrong is one
/// retryable `.tlsFailed` whose reason says what to fix.
@Suite("EtcdClient over TLS against a real etcd", .serialized)
struct EtcdTLSTests {
    /// The CA, etcd's server pair for 127.0.0.1, a good client pair, an expired one, and a CA
    /// that signed none of them.
    struct Certificates {
        let pki: TestPKI
        let otherCA: TestPKI
        let server: EtcdServer.TLS
        let client: EtcdTLSFiles
        let expired: EtcdTLSFiles

        init() throws {
            pki = try TestPKI()
            otherCA = try TestPKI(commonName: "some-other-ca")
            let server = try pki.issue("server", commonName: "etcd", addresses: ["127.0.0.1"])
            let client = try pki.issue("client", commonName: "trellis")
            let expired = try pki.issue("expired", commonName: "trellis", expired: true)
            self.server = EtcdServer.TLS(caFile: pki.caFile, certFile: server.certFile, keyFile: server.keyFile,
                                         clientCertFile: client.certFile, clientKeyFile: client.keyFile)
            self.client = EtcdTLSFiles(caFile: pki.caFile, certFile: client.certFile, keyFile: client.keyFile)
            self.expired = EtcdTLSFiles(caFile: pki.caFile, certFile: expired.certFile, keyFile: expired.keyFile)
        }

        func remove() {
            pki.remove()
            otherCA.remove()
        }
    }

    /// The one error a range through `client` fails with: `.tlsFailed`'s reason.
    func tlsFailure(_ client: EtcdClient) async -> String? {
        do {
            _ = try await client.range(.key("/k"))
            return nil
        } catch let EtcdError.allEndpointsFailed(_, errors) {
            guard errors.count == 1, case .tlsFailed(_, _, let reason) = errors[0], errors[0].isRetryable else {
                Issue.record("not one retryable TLS failure: \(errors)")
                return nil
            }
            return reason
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test("with the CA and a client certificate, reads, writes and watches work over https")
    func converges() async throws {
        let certificates = try Certificates()
        defer { certificates.remove() }
        try await withEtcdServer(tls: certificates.server) { server in
            #expect(server.endpoint.hasPrefix("https://"))
            let client = try EtcdClient(endpoints: [server.endpoint], tls: certificates.client)
            try await client.put(EtcdPut(key: "/k", value: Array("v".utf8)))
            #expect(try await client.range(.key("/k")).kvs.first?.value == Array("v".utf8))
            #expect(try server.etcdctl(["get", "/k", "--print-value-only"]).contains("v"))
        }
    }

    @Test("a wrong CA, a missing or expired client certificate, and plain http each give one clear error")
    func eachMistakeIsOneClearError() async throws {
        let certificates = try Certificates()
        defer { certificates.remove() }
        try await withEtcdServer(tls: certificates.server) { server in
            var wrongCA = certificates.client
            wrongCA.caFile = certificates.otherCA.caFile
            let trustingAnotherCA = try EtcdClient(endpoints: [server.endpoint], tls: wrongCA)
            let reasonWrongCA = await tlsFailure(trustingAnotherCA)
            #expect(reasonWrongCA?.contains("server's certificate is not trusted") == true, "\(reasonWrongCA ?? "")")

            let withoutCertificate = try EtcdClient(endpoints: [server.endpoint], tls: EtcdTLSFiles(caFile: certificates.pki.caFile))
            let reasonMissing = await tlsFailure(withoutCertificate)
            #expect(reasonMissing?.contains("refused this client's certificate") == true, "\(reasonMissing ?? "")")

            try await Task.sleep(for: .seconds(1.1))  // the expired certificate's validity ends the second it was made
            let withExpiredCertificate = try EtcdClient(endpoints: [server.endpoint], tls: certificates.expired)
            let reasonExpired = await tlsFailure(withExpiredCertificate)
            #expect(reasonExpired?.contains("refused this client's certificate") == true, "\(reasonExpired ?? "")")

            let plain = try EtcdClient(endpoints: [server.endpoint.replacingOccurrences(of: "https://", with: "http://")],
                                       tls: certificates.client)
            let reasonPlain = await tlsFailure(plain)
            #expect(reasonPlain?.contains("as an etcd serving TLS does: use an https:// endpoint") == true, "\(reasonPlain ?? "")")
        }
    }

    @Test("unreadable TLS files and a certificate without its key fail when the client is made")
    func badFilesFailAtOnce() throws {
        let missing = #expect(throws: EtcdError.self) {
            try EtcdClient(endpoints: ["https://127.0.0.1:2379"], tls: EtcdTLSFiles(caFile: "/nonexistent/ca.crt"))
        }
        #expect(missing?.description.contains("CA file /nonexistent/ca.crt cannot be read") == true, "\(String(describing: missing))")
        #expect(missing?.isRetryable == false)
        let lonely = #expect(throws: EtcdError.self) {
            try EtcdClient(endpoints: ["https://127.0.0.1:2379"], tls: EtcdTLSFiles(certFile: "/x.crt"))
        }
        #expect(lonely == .invalidTLSFiles(detail: "a client certificate needs its key (--etcd-keyfile)"))
    }
}
}
