import Foundation
import Testing
import TestSupport

/// Bad input gets the spec's error code and changes nothing.
@Suite(.serialized) struct PluginInputTests {
    /// One bad invocation: what to change, and the code the plugin must answer with.
    struct BadInput: CustomTestStringConvertible, Sendable {
        let testDescription: String
        let code: Int
        let variables: @Sendable (String) -> [String: String]
        let config: @Sendable (PluginNode) -> Data
    }

    static let badInputs: [BadInput] = [
        BadInput(testDescription: "malformed JSON", code: 6,
                 variables: { cniVariables("ADD", containerID: containerID(10), netns: $0) },
                 config: { _ in Data("{\"cniVersion\": \"1.0.0\", \"name\": ".utf8) }),
        BadInput(testDescription: "unsupported cniVersion", code: 1,
                 variables: { cniVariables("ADD", containerID: containerID(11), netns: $0) },
                 config: { $0.config(version: "9.9.9") }),
        BadInput(testDescription: "ADD without CNI_NETNS", code: 4,
                 variables: { _ in cniVariables("ADD", containerID: containerID(12)) },
                 config: { $0.config() }),
        BadInput(testDescription: "hostile container ID", code: 4,
                 variables: { cniVariables("ADD", containerID: "../../etc/passwd", netns: $0) },
                 config: { $0.config() }),
        BadInput(testDescription: "interface name with a slash", code: 4,
                 variables: { cniVariables("ADD", containerID: containerID(13), netns: $0, ifname: "eth/0") },
                 config: { $0.config() }),
        BadInput(testDescription: "invalid range", code: 7,
                 variables: { cniVariables("ADD", containerID: containerID(14), netns: $0) },
                 config: { $0.config(["ranges": ["10.244.300.0/24"]]) }),
        BadInput(testDescription: "hostile network name", code: 7,
                 variables: { cniVariables("ADD", containerID: containerID(15), netns: $0) },
                 config: { $0.config(name: "../etc") }),
    ]

    @Test(arguments: badInputs)
    func badInputIsRejectedWithItsCodeAndChangesNothing(_ input: BadInput) throws {
        try withPluginNode { node, pods in
            let output = try node.plugin.run(input.variables(pods[0].path), stdin: input.config(node))
            #expect(output.exitCode != 0)
            #expect(output.errorCode == input.code, "\(output.text)")
            #expect(!(output.json["msg"] as? String ?? "").isEmpty, "the error says what is wrong")
            #expect(try node.hostVeths().isEmpty)
            #expect(try node.allocations().isEmpty)
            #expect(try pods[0].json(["ip", "-j", "link", "show"]).count == 1, "only lo in the pod")
        }
    }

    @Test func statusIsNotAvailableUntilTheAgentWritesNodeJSON() throws {
        try withPluginNode(writeNodeInfo: false) { node, _ in
            let before = try node.run("STATUS", config: node.config(version: "1.1.0"))
            #expect(before.errorCode == 50, "\(before.text)")
            let add = try node.run("ADD", containerID: containerID(16), netns: "/var/run/netns/none", config: node.config(version: "1.1.0"))
            #expect(add.errorCode == 11, "ADD before node.json asks the runtime to retry: \(add.text)")
            let withRanges = try node.run("STATUS", config: node.config(version: "1.1.0", ["ranges": ["10.244.7.0/24"]]))
            #expect(withRanges.exitCode == 0, "a static slice needs no agent")
        }
    }

    @Test func versionListsEverySupportedVersion() throws {
        try withPluginNode(pods: 0) { node, _ in
            let output = try node.run("VERSION", config: Data("{\"cniVersion\":\"1.1.0\"}".utf8))
            #expect(output.exitCode == 0)
            #expect(output.json["supportedVersions"] as? [String] == ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])
        }
    }

    @Test func exhaustedSliceFailsCleanlyAndLeavesNoVeth() throws {
        try withPluginNode(pods: 3) { node, pods in
            let config = node.config(["ranges": ["10.244.9.0/30"]])
            for (i, pod) in pods.prefix(2).enumerated() {
                let add = try node.run("ADD", containerID: containerID(20 + i), netns: pod.path, config: config)
                #expect(add.exitCode == 0, "\(add.text)")
            }
            let third = try node.run("ADD", containerID: containerID(22), netns: pods[2].path, config: config)
            #expect(third.errorCode == 101, "\(third.text)")
            #expect((third.json["msg"] as? String ?? "").contains("10.244.9.0/30"))
            #expect(try node.hostVeths().count == 2)
            #expect(try node.allocations().map(\.address.description).sorted() == ["10.244.9.1", "10.244.9.2"])
        }
    }
}
