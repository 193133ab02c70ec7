import Foundation
import Testing
@testable import IPAM

@Suite struct FileIOTests {
    @Test func exclusiveCreateOfATakenNameChangesNothingAndLeavesNoTemporaryFile() throws {
        try withTemporaryDirectory { dir throws in
            let created = try #require(try FileIO.createExclusively("10.0.0.1", in: dir, with: Array("first".utf8)))
            try created.sync()
            #expect(try FileIO.createExclusively("10.0.0.1", in: dir, with: Array("second".utf8)) == nil)
            #expect(try FileIO.read(dir + "/10.0.0.1") == Array("first".utf8))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["10.0.0.1"])
        }
    }

    @Test func failedWriteLeavesNeitherTheNameNorATemporaryFile() throws {
        try withTemporaryDirectory { dir throws in
            try FileManager.default.createDirectory(atPath: dir + "/node.json", withIntermediateDirectories: false)
            #expect {
                try FileIO.replace("node.json", in: dir, with: Array("{}".utf8), durable: true)
            } throws: { error in
                guard case IPAMError.system(let operation, let path, let code) = error else { return false }
                return operation == "rename" && path == dir + "/node.json" && code == EISDIR
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["node.json"])
        }
    }

    @Test func readOfAMissingFileIsNilNotAnError() throws {
        try withTemporaryDirectory { dir throws in
            #expect(try FileIO.read(dir + "/absent") == nil)
            #expect(try FileIO.entries(of: dir + "/absent") == nil)
            #expect(try !FileIO.remove(dir + "/absent"))
        }
    }
}
