import Foundation
import Overlay
import TestSupport
import Testing

@Suite("Masquerade (kernel)", .serialized)
struct MasqueradeKernelTests {
    /// `nft -j list table inet trellis` in `namespace`: the rules' expressions as JSON text.
    private func rules(_ namespace: TestNamespace) throws -> [String] {
        let text = try namespace.exec(["nft", "-j", "list", "table", "inet", "trellis"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let items = root["nftables"] as? [[String: Any]] ?? []
        return try items.compactMap { $0["rule"] as? [String: Any] }.map { rule in
            String(decoding: try JSONSerialization.data(withJSONObject: rule["expr"] ?? [], options: .sortedKeys), as: UTF8.self)
        }
    }

    @Test("apply loads the table; a second apply replaces it, never duplicates; remove deletes it")
    func applyReplaceRemove() throws {
        try withTestNamespace { namespace throws in
            let masquerade = Masquerade(clusterCIDRs: [Fixture.prefix("10.244.0.0/16"), Fixture.prefix("fd00:10:244::/56")],
                                        namespacePath: namespace.path)
            try masquerade.apply()
            let first = try rules(namespace)
            #expect(first.count == 6)
            #expect(first.filter { $0.contains("\"masquerade\"") }.count == 2)
            #expect(first.contains { $0.contains("@cluster4") && $0.contains("\"return\"") })
            try masquerade.apply()
            #expect(try rules(namespace) == first)
            let narrowed = Masquerade(clusterCIDRs: [Fixture.prefix("10.244.0.0/16")], namespacePath: namespace.path)
            try narrowed.apply()
            #expect(try rules(namespace).count == 3)
            try narrowed.remove()
            #expect(throws: CommandError.self) { try namespace.exec(["nft", "list", "table", "inet", "trellis"]) }
            try narrowed.remove()
        }
    }

    @Test("an nft that cannot run reports an OverlayError and leaves the rules in place")
    func failedRunLeavesRules() throws {
        try withTestNamespace { namespace throws in
            try Masquerade(clusterCIDRs: [Fixture.prefix("10.244.0.0/16")], namespacePath: namespace.path).apply()
            let before = try rules(namespace)
            let broken = Masquerade(clusterCIDRs: [Fixture.prefix("10.244.0.0/16")], namespacePath: namespace.path,
                                    nftPath: "/nonexistent/nft")
            #expect(throws: OverlayError.self) { try broken.apply() }
            #expect(try rules(namespace) == before)
        }
    }
}
