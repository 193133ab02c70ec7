import Foundation
import Testing
@testable import IPAM

@Suite struct DiskStoreTests {
    let v4 = [prefix("10.244.1.0/24")]
    let created = Date(timeIntervalSince1970: 1_790_000_000)

    private func files(in directory: String) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: directory))
    }

    private func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test func allocationIsARecordFileThatListsBackWithEveryField() throws {
        try withTemporaryDirectory { dir in
            let store = try DiskStore(dataDir: dir, network: "trellis")
            let got = try store.allocate(for: attachment("c1"), pod: testPod, ranges: v4 + [prefix("fd00::/64")], now: created)
            #expect(got == [ip("10.244.1.1"), ip("fd00::1")])
            let listing = try store.list()
            #expect(listing.corrupt.isEmpty)
            #expect(listing.records == got.map {
                AllocationRecord(address: $0, attachment: attachment("c1"), pod: testPod, created: created)
            })
            #expect(try files(in: store.directory) == ["10.244.1.1", "fd00::1", "last_reserved.v4", "last_reserved.v6", "lock"])
            let json = try #require(try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: store.directory + "/10.244.1.1"))) as? [String: String])
            #expect(json == ["containerID": "c1", "ifname": "eth0", "podNamespace": "default", "podName": "web-0",
                             "netns": "/var/run/netns/cni-1", "created": "2026-09-21T14:13:20Z"])
        }
    }

    @Test func repeatedAddReturnsTheSameAddressesWithoutNewFiles() throws {
        try withTemporaryDirectory { dir in
            let store = try DiskStore(dataDir: dir, network: "trellis")
            let first = try store.allocate(for: attachment("c1"), pod: testPod, ranges: v4)
            _ = try store.allocate(for: attachment("c2"), pod: testPod, ranges: v4)
            #expect(try store.allocate(for: attachment("c1"), pod: testPod, ranges: v4) == first)
            #expect(try store.list().records.count == 2)
            #expect(try store.addresses(of: attachment("c1")) == first)
        }
    }

    @Test(arguments: ["plain0123", "quote\"and\\backslash", "ünïcode/slash"])
    func containerIDsThatJSONMayEscapeAreStillFoundForRetryAndDelete(id: String) throws {
        try withTemporaryDirectory { dir in
            let store = try DiskStore(dataDir: dir, network: "trellis")
            _ = try store.allocate(for: attachment(id + "-other"), pod: testPod, ranges: v4)
            let first = try store.allocate(for: attachment(id), pod: testPod, ranges: v4)
            #expect(try store.allocate(for: attachment(id), pod: testPod, ranges: v4) == first)
            #expect(try store.release(containerID: id, ifname: "eth0") == first)
            #expect(try store.list().records.map(\.attachment.containerID) == [id + "-other"])
        }
    }

    @Test func roundRobinMarkerSurvivesANewStoreInstance() throws {
        try withTemporaryDirectory { dir in
            _ = try DiskStore(dataDir: dir, network: "trellis").allocate(for: attachment("c1"), pod: testPod, ranges: v4)
            let store = try DiskStore(dataDir: dir, network: "trellis")
            try store.release(containerID: "c1", ifname: "eth0")
            #expect(try store.allocate(for: attachment("c2"), pod: testPod, ranges: v4) == [ip("10.244.1.2")])
        }
    }

    @Test func corruptRecordIsListedWithItsPathAndItsAddressIsNotReused() throws {
        try withTemporaryDirectory { dir in
            let store = try DiskStore(dataDir: dir, network: "trellis")
            try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
            try write("{\"containerID\": \"c0\", \"ifn", to: store.directory + "/10.244.1.1")
            try write("", to: store.directory + "/10.244.1.2")
            #expect(try store.allocate(for: attachment("c1"), pod: testPod, ranges: v4) == [ip("10.244.1.3")])
            let listing = try store.list()
            #expect(listing.records.map(\.address) == [ip("10.244.1.3")])
            #expect(listing.corrupt.map(\.address) == [ip("10.244.1.1"), ip("10.244.1.2")])
            #expect(listing.corrupt.map(\.path) == [store.directory + "/10.244.1.1", store.directory + "/10.244.1.2"])
            #expect(listing.corrupt[1].reason == "empty file")
        }
    }

    @Test func leftoverTemporaryFileOfAKilledWriterIsIgnoredAndRemoved() throws {
        try withTemporaryDirectory { dir in
            let store = try DiskStore(dataDir: dir, network: "trellis")
            try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
            try write("{\"contain", to: store.directory + "/.tmp.4242.10.244.1.1")
            #expect(try store.allocate(for: attachment("c1"), pod: testPod, ranges: v4) == [ip("10.244.1.1")])
            let listing = try store.list()
            #expect(listing.corrupt.isEmpty && listing.records.count == 1)
            #expect(try files(in: store.directory).allSatisfy { !$0.hasPrefix(".tmp.") })
        }
    }

    @Test func everyWriteLeavesOnlyCompleteRecordsAndNoTemporaryFiles() throws {
        try withTemporaryDirectory { dir in
            let store = try DiskStore(dataDir: dir, network: "trellis")
            for index in 0..<20 {
                _ = try store.allocate(for: attachment("c\(index)"), pod: testPod, ranges: v4 + [prefix("fd00::/120")])
                if index % 3 == 0 { try store.release(containerID: "c\(index)") }
            }
            let names = try files(in: store.directory)
            #expect(names.allSatisfy { !$0.hasPrefix(".tmp.") })
            let listing = try store.list()
            #expect(listing.corrupt.isEmpty)
            #expect(listing.records.count == names.count - 3)  // all but the lock and the two markers
        }
    }

    @Test func releaseByInterfaceByContainerAndByAddress() throws {
        try withTemporaryDirectory { dir in
            let store = try DiskStore(dataDir: dir, network: "trellis")
            _ = try store.allocate(for: attachment("c1", "eth0"), pod: testPod, ranges: v4)
            _ = try store.allocate(for: attachment("c1", "net1"), pod: testPod, ranges: v4)
            _ = try store.allocate(for: attachment("c2"), pod: testPod, ranges: v4)
            _ = try store.allocate(for: attachment("c3"), pod: testPod, ranges: v4)
            #expect(try store.release(containerID: "c1", ifname: "eth0") == [ip("10.244.1.1")])
            #expect(try store.release(containerID: "c1", ifname: "eth0") == [])
            #expect(try store.release(containerID: "c1") == [ip("10.244.1.2")])
            #expect(try store.release(containerID: "nope") == [])
            #expect(try store.release(address: ip("10.244.1.3")))
            #expect(try !store.release(address: ip("10.244.1.3")))
            #expect(try store.list().records.map(\.attachment) == [attachment("c3")])
        }
    }

    @Test func releaseByAddressFreesACorruptRecord() throws {
        try withTemporaryDirectory { dir in
            let store = try DiskStore(dataDir: dir, network: "trellis")
            try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
            try write("garbage", to: store.directory + "/10.244.1.1")
            #expect(try store.release(address: ip("10.244.1.1")))
            #expect(try store.list().corrupt.isEmpty)
        }
    }

    @Test func releaseByContainerIDPrefixNeedsAUniqueMatchUnlessExact() throws {
        try withTemporaryDirectory { dir in
            let store = try DiskStore(dataDir: dir, network: "trellis")
            for id in ["abc", "abcdef1", "abcdef2", "fff"] {
                _ = try store.allocate(for: attachment(id), pod: testPod, ranges: v4)
            }
            #expect(throws: IPAMError.ambiguousContainerID(prefix: "abcd", candidates: ["abcdef1", "abcdef2"])) {
                try store.release(containerIDPrefix: "abcd")
            }
            #expect(try store.release(containerIDPrefix: "abc").map(\.attachment.containerID) == ["abc"])
            #expect(try store.release(containerIDPrefix: "abcdef2").map(\.attachment.containerID) == ["abcdef2"])
            #expect(try store.release(containerIDPrefix: "ff").map(\.address) == [ip("10.244.1.4")])
            #expect(try store.release(containerIDPrefix: "zzz").isEmpty)
            #expect(try store.list().records.map(\.attachment.containerID) == ["abcdef1"])
        }
    }

    @Test func gcFreesExactlyTheAttachmentsNotKept() throws {
        try withTemporaryDirectory { dir in
            let store = try DiskStore(dataDir: dir, network: "trellis")
            let all = (1...5).map { attachment("c\($0)") } + [attachment("c1", "net1")]
            for one in all { _ = try store.allocate(for: one, pod: testPod, ranges: v4) }
            let keep: Set = [attachment("c2"), attachment("c4"), attachment("c1", "net1"), attachment("gone")]
            let freed = try store.gc(keeping: keep)
            #expect(Set(freed.map(\.attachment)) == Set(all).subtracting(keep))
            #expect(Set(try store.list().records.map(\.attachment)) == Set(all).intersection(keep))
        }
    }

    @Test func orphanReleaseFreesOnlyRecordsWhoseNetnsIsGone() throws {
        try withTemporaryDirectory { dir in
            let store = try DiskStore(dataDir: dir, network: "trellis")
            for (id, netns) in [("alive", dir), ("dead", dir + "/no-such-netns"), ("unknown", "")] {
                _ = try store.allocate(for: attachment(id), pod: PodMetadata(netns: netns), ranges: v4)
            }
            #expect(try store.releaseOrphans().map(\.attachment.containerID) == ["dead"])
            #expect(try store.list().records.map(\.attachment.containerID) == ["alive", "unknown"])
        }
    }

    @Test func transactionAfterAStaleSnapshotSeesTheContainersRecordsAsTheyAreNow() throws {
        try withTemporaryDirectory { dir in
            let store = try DiskStore(dataDir: dir, network: "trellis")
            _ = try store.allocate(for: attachment("other"), pod: testPod, ranges: v4)
            let before = try ContainerSnapshot.read(store.directory, containerID: "c1")
            let got = try store.allocate(for: attachment("c1"), pod: testPod, ranges: v4)  // after the snapshot
            #expect(try store.transaction(creating: false, snapshot: before) { try $0.addresses(of: attachment("c1")) } == got)

            let holding = try ContainerSnapshot.read(store.directory, containerID: "c1")
            try store.release(containerID: "c1", ifname: "eth0")
            #expect(try store.transaction(creating: false, snapshot: holding) { try $0.addresses(of: attachment("c1")) }.isEmpty)
        }
    }

    @Test func orphanReleaseRefusesWhenNoNetnsIsVisibleUnlessForced() throws {
        try withTemporaryDirectory { dir in
            let store = try DiskStore(dataDir: dir, network: "trellis")
            for id in ["a", "b"] {
                _ = try store.allocate(for: attachment(id), pod: PodMetadata(netns: dir + "/netns-" + id), ranges: v4)
            }
            #expect(throws: IPAMError.noNetnsVisible(count: 2)) { try store.releaseOrphans() }
            #expect(try store.list().records.count == 2, "nothing was released")
            #expect(try store.releaseOrphans(force: true).map(\.attachment.containerID) == ["a", "b"])
            #expect(try store.list().records.isEmpty)
        }
    }

    @Test func listingAMissingStoreIsEmptyAndCreatesNothing() throws {
        try withTemporaryDirectory { dir in
            let store = try DiskStore(dataDir: dir, network: "trellis")
            let listing = try store.list()
            #expect(listing.records.isEmpty && listing.corrupt.isEmpty)
            #expect(try store.release(containerID: "c1", ifname: "eth0") == [])
            #expect(!FileManager.default.fileExists(atPath: store.directory))
        }
    }

    @Test(arguments: ["", ".", "..", "../etc", "a/b", ".hidden", "-x", "tab\t", String(repeating: "n", count: 256)])
    func networkNameThatIsNotOneSafePathComponentIsRejected(name: String) {
        #expect(throws: IPAMError.invalidNetworkName(name)) { try DiskStore(dataDir: "/tmp", network: name) }
    }

    @Test func ordinaryNetworkNamesAreAccepted() throws {
        for name in ["trellis", "k8s-pod-network", "net_1.v2", "A"] {
            #expect(try DiskStore(dataDir: "/tmp/x/", network: name).directory == "/tmp/x/" + name)
        }
    }
}
