import Foundation
import Testing
import TestSupport

/// How `trellisd run` ends when kubelet stops its container: SIGTERM is a graceful stop, exit 0,
/// also while the agent is still retrying its datastore (else every rolling update and drain is
/// recorded as a failed container).
@Suite struct AgentSignalTests {
    @Test func sigtermEndsTheAgentWithExitZero() throws {
        try withTestNamespace { namespace in
            try namespace.exec(["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth1"])
            try namespace.exec(["ip", "addr", "add", "198.18.0.10/24", "dev", "eth0"])
            try namespace.exec(["ip", "link", "set", "eth0", "up"])
            let runDir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-signal-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: runDir) }
            let agent = Process()
            agent.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            // Nothing listens on the etcd endpoint: the agent is retrying when the signal comes.
            agent.arguments = ["netns", "exec", namespace.name, PluginProcess.binDir + "/trellisd", "run",
                               "--node-name", "node-1", "--datastore", "etcd", "--etcd-endpoints", "http://127.0.0.1:1",
                               "--cluster-cidr", "10.244.0.0/16", "--mode", "vxlan", "--iface", "eth0",
                               "--run-dir", runDir.path, "--metrics-addr", "127.0.0.1:9469"]
            let errors = Pipe()
            agent.standardError = errors
            agent.standardOutput = FileHandle.nullDevice
            try agent.run()
            #expect(eventually(within: .seconds(10)) {
                (try? namespace.exec(["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9469"])) != nil
            }, "the agent serves its status port")
            agent.terminate()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            agent.waitUntilExit()
            #expect(agent.terminationReason == .exit && agent.terminationStatus == 0, "\(stderr.suffix(800))")
            #expect(!stderr.contains("Error:"), "\(stderr.suffix(800))")
        }
    }
}
