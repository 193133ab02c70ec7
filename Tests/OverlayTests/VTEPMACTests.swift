import Netlink
import Overlay
import Testing

@Suite("VTEPMAC")
struct VTEPMACTests {
    @Test("a name's MAC is pinned: the same in every process and release")
    func pinnedForName() {
        // Computed independently (FNV-1a 64 + SplitMix64 finaliser, low six bytes). A change
        // here would leave every peer with stale neighbour and FDB entries after an upgrade.
        #expect(VTEPMAC.forNode("node-1").description == "56:e6:07:f3:4e:0d")
        #expect(VTEPMAC.forNode("worker-a").description == "b2:5c:d2:41:d8:cc")
    }

    @Test("every MAC is locally administered and unicast", arguments: ["", "a", "node-1", "node-2", "kind-worker", String(repeating: "x", count: 253)])
    func locallyAdministeredUnicast(name: String) {
        let first = VTEPMAC.forNode(name).bytes[0]
        #expect(first & 0x02 == 0x02)
        #expect(first & 0x01 == 0)
    }

    @Test("names differing in one character get different MACs")
    func distinctForSimilarNames() {
        let macs = Set((0..<1000).map { VTEPMAC.forNode("node-\($0)") })
        #expect(macs.count == 1000)
    }
}
