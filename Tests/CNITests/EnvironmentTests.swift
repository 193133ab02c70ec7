import Testing
@testable import CNI

@Suite("CNIEnvironment")
struct EnvironmentTests {
    @Test("ADD with every variable parses container, netns, ifname, args and path")
    func addParsesEverything() throws {
        let env = try CNIEnvironment(Fixture.environment("ADD"))
        #expect(env.command == .add)
        #expect(env.attachment?.containerID.rawValue == Fixture.containerID)
        #expect(env.attachment?.ifname.rawValue == "eth0")
        #expect(env.netns == Fixture.netns)
        #expect(env.args.podName == "web-0")
        #expect(env.path == ["/opt/cni/bin", "/usr/lib/cni"])
    }

    @Test("a missing or empty variable a verb requires is code 4 naming it",
          arguments: [("ADD", "CNI_CONTAINERID"), ("ADD", "CNI_NETNS"), ("ADD", "CNI_IFNAME"),
                      ("CHECK", "CNI_CONTAINERID"), ("CHECK", "CNI_NETNS"), ("CHECK", "CNI_IFNAME"),
                      ("DEL", "CNI_CONTAINERID"), ("DEL", "CNI_IFNAME")])
    func missingRequiredVariable(command: String, variable: String) {
        for env in [Fixture.environment(command, [variable: ""]),
                    Fixture.environment(command).filter { $0.key != variable }] {
            let error = #expect(throws: CNIError.self) { try CNIEnvironment(env) }
            #expect(error?.code == .invalidEnvironment)
            #expect(error?.message == "required environment variables missing: \(variable)")
        }
    }

    @Test("all missing variables are named at once")
    func allMissingNamed() {
        let error = #expect(throws: CNIError.self) { try CNIEnvironment(["CNI_COMMAND": "ADD"]) }
        #expect(error?.message == "required environment variables missing: CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME")
    }

    @Test("DEL without CNI_NETNS is accepted with no netns")
    func delWithoutNetns() throws {
        let env = try CNIEnvironment(Fixture.environment("DEL", ["CNI_NETNS": ""]))
        #expect(env.netns == nil)
        #expect(env.attachment != nil)
    }

    @Test("VERSION, GC and STATUS need only CNI_COMMAND and ignore the rest",
          arguments: ["VERSION", "GC", "STATUS"])
    func networkVerbsNeedNothing(command: String) throws {
        let bare = try CNIEnvironment(["CNI_COMMAND": command])
        #expect(bare.attachment == nil && bare.netns == nil && bare.path.isEmpty)
        let hostile = try CNIEnvironment(Fixture.environment(command, ["CNI_CONTAINERID": "../x",
                                                                       "CNI_ARGS": "junk"]))
        #expect(hostile.attachment == nil)
    }

    @Test("a missing or unknown CNI_COMMAND is code 4 naming it", arguments: ["", "add", "DELETE"])
    func badCommand(command: String) {
        let error = #expect(throws: CNIError.self) {
            try CNIEnvironment(Fixture.environment(command))
        }
        #expect(error?.code == .invalidEnvironment)
        #expect(error?.message.contains("CNI_COMMAND") == true)
    }

    @Test("CNI_NETNS with a NUL byte is code 4")
    func netnsWithNul() {
        let error = #expect(throws: CNIError.self) {
            try CNIEnvironment(Fixture.environment("ADD", ["CNI_NETNS": "/run/netns/a\0b"]))
        }
        #expect(error?.message == "invalid CNI_NETNS")
    }
}
