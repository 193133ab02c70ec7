import Foundation
import Testing
@testable import IPAM

@Suite struct IPAMReportTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let node = NodeInfo(nodeName: "node-1", podCIDRs: [prefix("10.244.1.0/24"), prefix("fd00::/120")],
                        clusterCIDRs: [prefix("10.244.0.0/16")], mtu: 1450, mode: .vxlan)

    private func record(_ address: String, _ id: String, age: TimeInterval,
                        pod: PodMetadata = testPod) -> AllocationRecord {
        AllocationRecord(address: ip(address), attachment: attachment(id), pod: pod, created: now - age)
    }

    private var records: [AllocationRecord] {
        [record("10.244.1.10", "bbbbbbbbbbbbbbbbbbbb", age: 7200),
         record("10.244.9.3", "cccccccccccccccccccc", age: 45, pod: PodMetadata(netns: "/x")),
         record("10.244.1.2", "aaaaaaaaaaaaaaaaaaaa", age: 180),
         record("fd00::5", "aaaaaaaaaaaaaaaaaaaa", age: 5 * 86400 + 100)]
    }

    private let corrupt = [CorruptRecord(address: ip("10.244.1.7"), path: "/d/trellis/10.244.1.7", reason: "empty file")]

    @Test func slicesCountTakenAddressesIncludingCorruptAndFlagAllocationsOutsideThem() {
        let report = IPAMReport(network: "trellis", directory: "/d/trellis", records: records, corrupt: corrupt,
                                nodeInfo: .success(node))
        #expect(report.slices.map(\.prefix) == node.podCIDRs)
        #expect(report.slices.map(\.usable) == [254, 255])
        #expect(report.slices.map(\.used) == [3, 1])
        #expect(report.slices.map(\.free) == [251, 254])
        #expect(report.allocations.map(\.address) == ["10.244.1.2", "10.244.1.10", "10.244.9.3", "fd00::5"].map(ip))
        #expect(report.outsideSlice.map(\.address) == [ip("10.244.9.3")])
        #expect(report.nodeName == "node-1" && report.mode == .vxlan && report.nodeInfoProblem == nil)
    }

    @Test func missingNodeInfoLeavesSlicesUnknownAndSaysWhy() {
        let missing = IPAMError.nodeInfoMissing(path: "/run/trellis/node.json")
        let report = IPAMReport(network: "trellis", directory: "/d/trellis", records: records, corrupt: [],
                                nodeInfo: .failure(missing))
        #expect(report.slices.isEmpty)
        #expect(report.allocations.allSatisfy { $0.inSlice == nil })
        #expect(report.nodeInfoProblem == missing.description)
        #expect(report.table(now: now).contains("slices unknown: /run/trellis/node.json does not exist"))
    }

    @Test func tableAlignsColumnsShortensContainerIDsAndFlagsOutsideRows() throws {
        let report = IPAMReport(network: "trellis", directory: "/d/trellis", records: records, corrupt: corrupt,
                                nodeInfo: .success(node))
        let lines = report.table(now: now).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("ADDRESS") })
        let rows = Array(lines[header + 1 ..< header + 5])
        let containerColumn = try #require(lines[header].range(of: "CONTAINER")).lowerBound.utf16Offset(in: lines[header])
        let ageColumn = try #require(lines[header].range(of: "AGE")).lowerBound.utf16Offset(in: lines[header])
        for row in rows {
            #expect(row.dropFirst(containerColumn).hasPrefix("aaaaaaaaaaaa ") || row.dropFirst(containerColumn).hasPrefix("bbbbbbbbbbbb ")
                    || row.dropFirst(containerColumn).hasPrefix("cccccccccccc "))
        }
        #expect(rows.map { String($0.dropFirst(ageColumn).prefix(while: { $0 != " " })) } == ["3m", "2h", "45s", "5d"])
        #expect(rows.map { $0.hasSuffix("OUTSIDE SLICE") } == [false, false, true, false])
        #expect(rows[0].contains("default/web-0") && rows[2].contains("  -  "))
        #expect(lines.contains { $0.contains("10.244.1.7") && $0.contains("/d/trellis/10.244.1.7") && $0.contains("empty file") })
        #expect(lines.allSatisfy { !$0.hasSuffix(" ") })
    }

    @Test(arguments: [(0, "0s"), (59, "59s"), (60, "1m"), (3599, "59m"), (3600, "1h"), (86399, "23h"),
                      (86400, "1d"), (40 * 86400, "40d"), (-30, "0s")] as [(Double, String)])
    func ageIsTheLargestWholeUnit(seconds: Double, expected: String) {
        #expect(IPAMReport.age(from: now - seconds, to: now) == expected)
    }

    @Test func jsonCarriesTheSameReportAndDecodesBack() throws {
        let report = IPAMReport(network: "trellis", directory: "/d/trellis", records: records, corrupt: corrupt,
                                nodeInfo: .success(node))
        let text = try report.json()
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(IPAMReport.self, from: Data(text.utf8)) == report)
        #expect(text.contains("\"containerID\" : \"aaaaaaaaaaaaaaaaaaaa\""))
        #expect(text.contains("\"inSlice\" : false"))
    }

    @Test func loadReadsTheStoreAndNodeInfoFromDisk() throws {
        try withTemporaryDirectory { dir in
            let store = try DiskStore(dataDir: dir, network: "trellis")
            try node.write(to: dir + "/run")
            _ = try store.allocate(for: attachment("c1"), pod: testPod, ranges: node.podCIDRs)
            let report = try IPAMReport.load(store: store, runDir: dir + "/run")
            #expect(report.allocations.map(\.address) == [ip("10.244.1.1"), ip("fd00::1")])
            #expect(report.slices.map(\.used) == [1, 1])
            #expect(try IPAMReport.load(store: store, runDir: dir + "/elsewhere").nodeInfoProblem != nil)
        }
    }
}
