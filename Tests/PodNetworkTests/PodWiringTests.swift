import NetworkModel
import Foundation
import IPAM
import PodNetwork
import Testing
import TestSupport

/// `PodWiring` against the kernel, in namespaces the tests create.
@Suite(.serialized) struct PodWiringTests {
    @Test(arguments: WiringStep.allCases)
    func faultAfterAWiringStepLeavesNothingBehind(step: WiringStep) throws {
        try PodFixture.with { fixture in
            let attachment = fixture.attachment()
            let faulty = PodWiring { if $0 == step { throw InjectedFault(step: $0) } }
            #expect(throws: InjectedFault(step: step)) { try fixture.inNode { _ = try faulty.add(attachment) } }
            #expect(try fixture.links(in: fixture.node).isEmpty, "no host veth is left")
            #expect(try fixture.links(in: fixture.pod).isEmpty, "no pod interface (and so no pod address) is left")
            #expect(try fixture.nodeRoutes(to: "10.244.1.5").isEmpty, "no host route is left")

            let wired = try fixture.inNode { try PodWiring().add(attachment) }
            #expect(wired.hostInterfaceName == attachment.hostInterfaceName, "the same attachment wires afterwards")
            #expect(fixture.nodeCanPing("10.244.1.5"))
        }
    }

    @Test func twoAttachmentsOfOneContainerGetTwoVethsAndAreRemovedEachOnItsOwn() throws {
        try PodFixture.with { fixture in
            let eth0 = fixture.attachment(ifname: "eth0", address: "10.244.1.5")
            let net1 = fixture.attachment(ifname: "net1", address: "10.244.1.6")
            let wiring = PodWiring()
            let first = try fixture.inNode { try wiring.add(eth0) }
            let second = try fixture.inNode { try wiring.add(net1) }
            #expect(first.hostInterfaceName != second.hostInterfaceName)
            #expect(try fixture.links(in: fixture.pod) == ["eth0", "net1"])
            #expect(fixture.nodeCanPing("10.244.1.5") && fixture.nodeCanPing("10.244.1.6"))

            try fixture.inNode { try wiring.remove(net1.attachment) }
            #expect(try fixture.links(in: fixture.node) == [first.hostInterfaceName])
            #expect(try fixture.links(in: fixture.pod) == ["eth0"])
            #expect(fixture.nodeCanPing("10.244.1.5"), "eth0 keeps working")
        }
    }

    @Test func removalOfASeenVethSparesTheSuccessorWithItsName() throws {
        try PodFixture.with { fixture in
            let attachment = fixture.attachment()
            let wiring = PodWiring()
            let seen = try fixture.inNode { () -> HostVeth? in
                _ = try wiring.add(attachment)
                return try wiring.existingHostVeth(of: attachment.attachment)
            }
            let old = try #require(seen)
            try fixture.inNode { try wiring.remove(attachment.attachment) }  // DEL's work, then a fast ADD
            _ = try fixture.inNode { try wiring.add(attachment) }

            try fixture.inNode { try wiring.remove(old) }  // the late reaper of the first DEL
            let successor = try #require(try fixture.inNode { try wiring.existingHostVeth(of: attachment.attachment) })
            #expect(successor.name == old.name && successor.index != old.index)
            #expect(fixture.nodeCanPing("10.244.1.5"), "the successor is untouched")
            try fixture.inNode { try wiring.remove(successor) }
            #expect(try fixture.links(in: fixture.node).isEmpty)
        }
    }

    @Test func garbageCollectionRemovesVethsNoAllocationOwnsAndKeepsTheRest() throws {
        try PodFixture.with { fixture in
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-podnet-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: root) }
            let store = try DiskStore(dataDir: root, network: "trellis")
            let owned = fixture.attachment("owned", address: "10.244.1.1")
            let orphan = fixture.attachment("orphan", ifname: "net1", address: "10.244.1.2")
            let addresses = try store.allocate(for: owned.attachment, pod: PodMetadata(netns: fixture.pod.path),
                                               ranges: [IPPrefix("10.244.1.0/24")!])
            #expect(addresses == [IPAddress("10.244.1.1")!])
            let wiring = PodWiring()
            let kept = try fixture.inNode { try wiring.add(owned).hostInterfaceName }
            let swept = try fixture.inNode { try wiring.add(orphan).hostInterfaceName }  // as if its record were lost

            let done = try fixture.inNode { try wiring.collectGarbage(in: store) { _ in [] } }
            #expect(done.released.isEmpty)
            #expect(done.removedVeths.map(\.name) == [swept])
            #expect(try fixture.links(in: fixture.node) == [kept])
            #expect(fixture.nodeCanPing("10.244.1.1"))
        }
    }

    @Test func garbageCollectionKeepsTheVethOfAPodWiredBeforeNamesIncludedTheInterface() throws {
        try PodFixture.with { fixture in
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-podnet-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: root) }
            let store = try DiskStore(dataDir: root, network: "trellis")
            let old = fixture.attachment("wired-by-an-older-plugin", address: "10.244.1.1")
            _ = try store.allocate(for: old.attachment, pod: PodMetadata(netns: fixture.pod.path), ranges: [IPPrefix("10.244.1.0/24")!])
            let legacy = HostVethName.legacy(containerID: old.attachment.containerID)
            #expect(legacy != HostVethName.forAttachment(old.attachment))
            try fixture.node.exec(["ip", "link", "add", legacy, "type", "veth", "peer", "name", "trlpeer0"])

            let done = try fixture.inNode { try PodWiring().collectGarbage(in: store) { _ in [] } }
            #expect(done.removedVeths.isEmpty, "a live pod's veth under the old name is owned by its allocation")
            #expect(try fixture.links(in: fixture.node).contains(legacy))
        }
    }
}
