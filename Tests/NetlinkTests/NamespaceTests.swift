import Foundation
import Netlink
import TestSupport
import Testing

@Suite("Network namespaces")
struct NamespaceTests {
    private struct Planned: Error {}

    @Test("run enters the namespace and the calling thread never leaves its own")
    func enterAndReturn() throws {
        try withTestNamespace { namespace in
            let original = try NetworkNamespace.currentInode()
            let target = try NetworkNamespace.inode(at: namespace.path)
            #expect(original != target)

            let inside = try NetworkNamespace.run(at: namespace.path) { try NetworkNamespace.currentInode() }

            #expect(inside == target)
            #expect(try NetworkNamespace.currentInode() == original)
        }
    }

    @Test("a thrown error propagates and the caller is still in its original namespace")
    func thrownError() throws {
        try withTestNamespace { namespace in
            let original = try NetworkNamespace.currentInode()
            #expect(throws: Planned.self) {
                try NetworkNamespace.run(at: namespace.path) { () throws -> Int in
                    #expect(try NetworkNamespace.currentInode() != original)
                    throw Planned()
                }
            }
            #expect(try NetworkNamespace.currentInode() == original)
        }
    }

    @Test("work done inside run lands in that namespace only")
    func workLandsInside() throws {
        try withTestNamespace { namespace in
            try NetworkNamespace.run(at: namespace.path) {
                try NetlinkHandle().addVethPair(name: "trlin", peerName: "trlinp")
            }
            #expect(entries(try namespace.json(["ip", "-j", "link", "show"]), where: "ifname", is: "trlin").count == 1)
        }
    }

    @Test("a missing namespace is a namespace error with isNotFound")
    func missing() throws {
        let error = try #require(throws: NetlinkError.self) {
            try NetlinkHandle(namespacePath: "/var/run/netns/trl-test-does-not-exist")
        }
        #expect(error.isNotFound)
        #expect(error.description.contains("trl-test-does-not-exist"))
    }

    @Test("a handle bound to a namespace works from many threads at once")
    func concurrentUse() async throws {
        try await withTestNamespace { namespace in
            let handle = try NetlinkHandle(namespacePath: namespace.path)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<8 {
                    group.addTask { try handle.addVethPair(name: "trlc\(i)", peerName: "trlc\(i)p") }
                }
                try await group.waitForAll()
            }
            #expect(try handle.links().count == 17)
        }
    }
}
