import Foundation
import TestSupport
import Testing

/// The fixture every kernel test stands on: it must clean up after failures too.
@Suite("TestSupport")
struct TestSupportTests {
    private struct Planned: Error {}

    private func namespaceExists(_ name: String) throws -> Bool {
        try run(["ip", "netns", "list"]).split(separator: "\n").contains { $0.split(separator: " ").first.map(String.init) == name }
    }

    @Test("withTestNamespaces deletes every namespace also when the body throws")
    func cleanupOnThrow() throws {
        var names: [String] = []
        #expect(throws: Planned.self) {
            try withTestNamespaces(count: 2) { namespaces in
                names = namespaces.map(\.name)
                #expect(try namespaces.allSatisfy { try namespaceExists($0.name) })
                throw Planned()
            }
        }
        #expect(names.count == 2)
        #expect(Set(names).count == 2)
        for name in names { #expect(try !namespaceExists(name)) }
    }

    @Test("exec runs inside the namespace: only lo, and it is up")
    func execInside() throws {
        try withTestNamespace { namespace in
            let links = try namespace.json(["ip", "-j", "link", "show"])
            #expect(links.map { $0["ifname"] as? String } == ["lo"])
            #expect((links.first?["flags"] as? [String])?.contains("UP") == true)
        }
    }

    @Test("run throws CommandError carrying the exit status and stderr")
    func failingCommand() throws {
        let error = try #require(throws: CommandError.self) { try run(["ip", "link", "show", "dev", "trl-no-such-dev"]) }
        #expect(error.status != 0)
        #expect(error.stderr.contains("trl-no-such-dev"))
        #expect(try run(["cat"], input: "round trip") == "round trip")
    }
}
