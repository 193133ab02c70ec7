import Cluster
import Testing
import TestSupport

extension EtcdIntegration {
@Suite("EtcdServer fixture")
struct EtcdServerTests {
    @Test("an etcd started in a namespace serves there and not on this namespace's loopback")
    func insideNamespace() async throws {
        try await withTestNamespace { namespace in
            let server = try EtcdServer(listenAddress: "127.0.0.1", namespace: namespace.name)
            defer { server.kill() }
            try server.etcdctl(["put", "/ns-key", "inside"])
            #expect(try server.etcdctl(["get", "--print-value-only", "/ns-key"]).contains("inside"))
            let client = try EtcdClient(endpoints: [server.endpoint], requestTimeout: .seconds(2))
            let error = await #expect(throws: EtcdError.self) { try await client.range(.key("/ns-key")) }
            guard case .allEndpointsFailed(_, let errors) = error, case .connectionFailed = errors.first else {
                Issue.record("not a connection failure: \(String(describing: error))")
                return
            }
        }
    }

    @Test("stop and start keep the data; kill then start recovers it too")
    func restartKeepsData() async throws {
        try await withEtcdServer { server in
            try server.etcdctl(["put", "/kept", "1"])
            server.stop()
            #expect(throws: CommandError.self) { try server.etcdctl(["get", "/kept"]) }
            try server.start()
            #expect(try server.etcdctl(["get", "--print-value-only", "/kept"]).contains("1"))
            server.kill()
            try server.start()
            #expect(try server.etcdctl(["get", "--print-value-only", "/kept"]).contains("1"))
        }
    }
}
}
