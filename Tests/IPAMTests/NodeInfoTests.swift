import Foundation
import Testing
@testable import IPAM

@Suite struct NodeInfoTests {
    let node = NodeInfo(nodeName: "node-1", podCIDRs: [prefix("10.244.1.0/24"), prefix("fd00:10:244:1::/64")],
                        clusterCIDRs: [prefix("10.244.0.0/16")], mtu: 1450, mode: .vxlan)

    @Test func writtenRecordLoadsBackEqualWithTheContractsKeys() throws {
        try withTemporaryDirectory { dir in
            let runDir = dir + "/run/trellis"
            try node.write(to: runDir)
            #expect(try NodeInfo.load(runDir: runDir) == node)
            let json = try #require(try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: runDir + "/node.json"))) as? [String: Any])
            #expect(Set(json.keys) == ["nodeName", "podCIDRs", "clusterCIDRs", "mtu", "mode"])
            #expect(json["podCIDRs"] as? [String] == ["10.244.1.0/24", "fd00:10:244:1::/64"])
            #expect(json["mode"] as? String == "vxlan")
        }
    }

    @Test func rewriteReplacesTheRecordAndLeavesNoTemporaryFile() throws {
        try withTemporaryDirectory { dir in
            try node.write(to: dir)
            var changed = node
            changed.mode = .hybrid
            try changed.write(to: dir)
            #expect(try NodeInfo.load(runDir: dir).mode == .hybrid)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["node.json"])
        }
    }

    @Test func missingFileIsReportedAsNotYetWritten() throws {
        try withTemporaryDirectory { dir in
            #expect(throws: IPAMError.nodeInfoMissing(path: dir + "/node.json")) { try NodeInfo.load(runDir: dir) }
        }
    }

    @Test(arguments: ["", "{\"nodeName\":\"n\"", "{\"nodeName\":\"n\",\"podCIDRs\":[],\"clusterCIDRs\":[],\"mtu\":1500,\"mode\":\"ipip\"}",
                      "{\"nodeName\":\"n\",\"podCIDRs\":[\"10.0.0.0/99\"],\"clusterCIDRs\":[],\"mtu\":1500,\"mode\":\"direct\"}"])
    func unreadableFileIsReportedAsCorruptNotMissing(contents: String) throws {
        try withTemporaryDirectory { dir in
            try Data(contents.utf8).write(to: URL(fileURLWithPath: dir + "/node.json"))
            #expect {
                try NodeInfo.load(runDir: dir)
            } throws: { error in
                guard case IPAMError.nodeInfoCorrupt(let path, let reason) = error else { return false }
                return path == dir + "/node.json" && !reason.isEmpty
            }
        }
    }
}
