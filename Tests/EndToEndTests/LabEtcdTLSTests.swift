import Foundation
import Testing
import TestSupport

/// The lab on an etcd that, like kubeadm's, speaks only TLS and asks for client certificates.
@Suite(.serialized) struct LabEtcdTLSTests {
    @Test func agentsConvergeOverTLSAndOneWithAWrongCAKeepsRetryingWithoutWithdrawingAnything() throws {
        let lab = try Lab(mode: .vxlan, etcdTLS: true)  // up waits until every agent routes to every peer
        defer { lab.down() }
        #expect(try lab.info("node-1")["agent_log"].map { try String(contentsOfFile: $0, encoding: .utf8) }?
            .contains("etcd-cafile") == true, "the agents were started with the TLS flags")
        let mesh = try lab.mesh()
        #expect(mesh.succeeded, "\(mesh.output)")

        let slice = try lab.slice(of: "node-1")
        let route = try #require(try lab.route(on: "node-2", to: slice))
        let wrongCA = try TestPKI(commonName: "not-the-etcd-ca")
        defer { wrongCA.remove() }
        let nodeDir = lab.stateDir + "/nodes/node-1"
        try FileManager.default.removeItem(atPath: nodeDir + "/etcd-ca.crt")
        try FileManager.default.copyItem(atPath: wrongCA.caFile, toPath: nodeDir + "/etcd-ca.crt")
        try lab.restartAgent("node-1")

        let log = nodeDir + "/trellisd.log"
        func sinceRestart() -> String {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.components(separatedBy: "lab starts:").last ?? ""
        }
        let reason = "the server's certificate is not trusted"
        #expect(eventually(within: .seconds(20)) { sinceRestart().components(separatedBy: reason).count > 2 },
                "the agent says why, and keeps retrying: \(sinceRestart().suffix(1500))")
        #expect(lab.readyz("node-1") == 503, "it keeps running, not ready")
        #expect(try lab.lab(["etcdctl", "get", "--keys-only", "/trellis/v1/nodes/node-1"]).contains("node-1"),
                "its record stays in etcd")
        #expect(try holds(for: .seconds(3)) { try lab.route(on: "node-2", to: slice) == route },
                "and its peers keep routing to its slice")
        let meshAfter = try lab.mesh()
        #expect(meshAfter.succeeded, "its pods still reach every other pod: \(meshAfter.output)")
    }
}
