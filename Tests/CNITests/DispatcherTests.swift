import Foundation
import Testing
@testable import CNI

@Suite("CNIDispatcher")
struct DispatcherTests {
    private func run(_ plugin: FakePlugin, _ command: String, _ overrides: [String: String] = [:],
                     stdin: Data = Fixture.config()) -> CNIOutcome {
        CNIDispatcher.run(plugin: plugin, environment: Fixture.environment(command, overrides), stdin: stdin)
    }

    @Test("ADD hands the plugin the parsed request and prints its result in the config's version",
          arguments: CNIVersion.allCases)
    func addRendersResult(version: CNIVersion) throws {
        let plugin = FakePlugin()
        let outcome = run(plugin, "ADD", stdin: Fixture.config(version: version.rawValue))
        #expect(outcome == CNIOutcome(stdout: Fixture.ipv4Result.json(version: version), exitCode: 0))
        guard case .add(let request)? = plugin.calls.first, plugin.calls.count == 1 else {
            Issue.record("expected one ADD, got \(plugin.calls)")
            return
        }
        #expect(request.attachment.containerID.rawValue == Fixture.containerID)
        #expect(request.attachment.ifname.rawValue == "eth0")
        #expect(request.netns == Fixture.netns && request.args.podNamespace == "default")
        #expect(request.config.cniVersion == version)
    }

    @Test("CHECK, DEL, GC and STATUS succeed with exit 0 and nothing on stdout",
          arguments: ["CHECK", "DEL", "GC", "STATUS"])
    func silentVerbs(command: String) {
        let plugin = FakePlugin()
        #expect(run(plugin, command) == CNIOutcome(stdout: Data(), exitCode: 0))
        #expect(plugin.calls.count == 1)
    }

    @Test("DEL without a netns reaches the plugin with netns nil")
    func delWithoutNetns() {
        let plugin = FakePlugin()
        #expect(run(plugin, "DEL", ["CNI_NETNS": ""]).exitCode == 0)
        guard case .del(let request)? = plugin.calls.first else {
            Issue.record("expected DEL, got \(plugin.calls)")
            return
        }
        #expect(request.netns == nil)
    }

    @Test("GC passes the valid attachments")
    func gcPassesAttachments() {
        let plugin = FakePlugin()
        let stdin = Fixture.config(extra: #","cni.dev/valid-attachments":[{"containerID":"a1","ifname":"eth0"}]"#)
        #expect(run(plugin, "GC", stdin: stdin).exitCode == 0)
        guard case .gc(let request)? = plugin.calls.first else {
            Issue.record("expected GC, got \(plugin.calls)")
            return
        }
        #expect(request.config.validAttachments == [CNIAttachment(containerID: ContainerID("a1")!,
                                                                  ifname: InterfaceName("eth0")!)])
    }

    @Test("a plugin error with code 11 comes out as code 11 JSON and exit 1")
    func pluginErrorKeepsCode() {
        let plugin = FakePlugin(failure: CNIError(.tryAgainLater, "IPAM store busy", details: "lock held"))
        let outcome = run(plugin, "ADD", stdin: Fixture.config(version: "1.0.0"))
        #expect(outcome.exitCode == 1)
        #expect(text(outcome.stdout)
            == #"{"cniVersion":"1.0.0","code":11,"details":"lock held","msg":"IPAM store busy"}"#)
    }

    @Test("STATUS reports unavailability as code 50")
    func statusUnavailable() {
        let plugin = FakePlugin(failure: CNIError(.pluginNotAvailable, "node.json missing"))
        let outcome = run(plugin, "STATUS")
        #expect(outcome.exitCode == 1)
        #expect(text(outcome.stdout) == #"{"cniVersion":"1.1.0","code":50,"msg":"node.json missing"}"#)
    }

    @Test("a plain Swift error from the plugin is code 999")
    func plainErrorIsInternal() {
        struct Boom: Error {}
        let outcome = run(FakePlugin(failure: Boom()), "DEL")
        #expect(outcome.exitCode == 1)
        #expect(text(outcome.stdout).contains(#""code":999"#))
    }

    @Test("VERSION needs no config and never calls the plugin")
    func version() {
        let plugin = FakePlugin()
        let outcome = CNIDispatcher.run(plugin: plugin, environment: ["CNI_COMMAND": "VERSION"],
                                        stdin: Data(#"{"cniVersion":"0.4.0"}"#.utf8))
        #expect(outcome.exitCode == 0 && plugin.calls.isEmpty)
        #expect(text(outcome.stdout)
            == #"{"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}"#)
    }

    @Test("bad input fails with its code and exit 1 before the plugin is called", arguments: [
        ("ADD", ["CNI_NETNS": ""], Fixture.config(), 4),
        ("ADD", ["CNI_CONTAINERID": "../../etc"], Fixture.config(), 4),
        ("DEL", ["CNI_IFNAME": "a/b"], Fixture.config(), 4),
        ("ADD", [:], Data("{".utf8), 6),
        ("ADD", [:], Data(#"{"cniVersion":"1.1.0","type":"trellis"}"#.utf8), 7),
        ("ADD", [:], Fixture.config(version: "0.2.0"), 1),
        ("CHECK", [:], Fixture.config(version: "0.3.1"), 1),
        ("GC", [:], Fixture.config(version: "1.0.0"), 1),
        ("STATUS", [:], Fixture.config(version: "1.0.0"), 1),
    ])
    func badInput(command: String, overrides: [String: String], stdin: Data, code: Int) throws {
        let plugin = FakePlugin()
        let outcome = run(plugin, command, overrides, stdin: stdin)
        #expect(outcome.exitCode == 1 && plugin.calls.isEmpty)
        let object = try #require(JSONSerialization.jsonObject(with: outcome.stdout) as? [String: Any])
        #expect(object["code"] as? Int == code)
    }

    @Test("an error found before the config is valid is written in the version stdin names")
    func earlyErrorUsesSniffedVersion() {
        let outcome = run(FakePlugin(), "ADD", ["CNI_IFNAME": ""], stdin: Fixture.config(version: "0.4.0"))
        #expect(text(outcome.stdout).hasPrefix(#"{"cniVersion":"0.4.0","code":4,"#))
        let unreadable = run(FakePlugin(), "ADD", stdin: Data())
        #expect(text(unreadable.stdout)
            == #"{"cniVersion":"1.1.0","code":6,"details":"the input is empty","msg":"cannot decode network configuration"}"#)
    }
}
