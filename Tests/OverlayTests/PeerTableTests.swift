import NetworkModel
import Foundation
@testable import Overlay
import Testing

/// A seeded generator, so a failing sequence can be replayed.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

@Suite("PeerTable")
struct PeerTableTests {
    /// A random change of one peer: a new MAC, public IP, slice, or none; sometimes a
    /// conflicting slice, a missing MAC, or the peer gone.
    private func mutate(_ peers: inout [ClusterNode], _ random: inout SplitMix) {
        let index = Int.random(in: 0..<peers.count, using: &random)
        let number = Int(peers[index].name.dropFirst(5))!
        switch Int.random(in: 0..<7, using: &random) {
        case 0: peers[index].vtepMAC = "02:00:00:00:00:\(String(format: "%02x", Int.random(in: 0..<256, using: &random)))"
        case 1: peers[index].publicIP = Fixture.address("198.\(Int.random(in: 18...19, using: &random)).0.\(number)")
        case 2: peers[index].podCIDRs = [Fixture.prefix("10.\(Int.random(in: 245...247, using: &random)).\(Int.random(in: 0...255, using: &random)).0/24")]
        case 3: peers[index].vtepMAC = nil
        case 4: peers.remove(at: index)
        case 5:
            let added = Fixture.node(Int.random(in: 2...60, using: &random))
            if !peers.contains(where: { $0.name == added.name }) { peers.append(added) }
        default: peers[index] = Fixture.node(number)
        }
    }

    @Test("after any sequence of changes it equals DesiredState.compute, and its delta plans what the full diff plans",
          arguments: [ClusterNode.Backend.vxlan, .hybrid, .direct])
    func matchesFullComputation(mode: ClusterNode.Backend) {
        var random = SplitMix(state: 42)
        let config = Fixture.config(mode)
        var peers = [Fixture.local] + (2...30).map { Fixture.node($0, publicIP: "198.\($0 % 2 == 0 ? 18 : 19).0.\($0)") }
        var table = PeerTable(config: config, vxlanLinkIndex: Fixture.vxlanIndex, peers: peers)
        var incremental = 0
        for _ in 0..<300 {
            let before = table.desired.datapath
            mutate(&peers, &random)
            let change = table.update(to: peers)
            let full = DesiredState.compute(config: config, vxlanLinkIndex: Fixture.vxlanIndex, peers: peers)
            #expect(table.desired == full)
            switch change {
            case .delta(let delta):
                incremental += 1
                #expect(Planner.plan(desired: delta.added, observed: delta.removed)
                        == Planner.plan(desired: full.datapath, observed: before))
            case .rebuilt(let previous):
                #expect(previous == before)
            }
        }
        #expect(incremental > 100, "the incremental path was hardly exercised")
    }
}
