import Testing
@testable import Cluster

@Suite("JSONObjectSplitter")
struct JSONObjectSplitterTests {
    let stream = #"{"result":{"created":true}}"# + "\n" + #"{"result":{"events":[{"kv":{"key":"e30="}}],"note":"a } in \" a string {"}}"# + "\n"

    @Test("whole objects in one chunk come out in order")
    func wholeChunk() {
        var splitter = JSONObjectSplitter()
        let objects = splitter.append(Array(stream.utf8)).map { String(decoding: $0, as: UTF8.self) }
        #expect(objects == stream.split(separator: "\n").map(String.init))
        #expect(splitter.pendingCount == 0)
    }

    @Test("an object split at every possible byte comes out whole, once", arguments: [1, 2, 3, 7, 64])
    func splitAnywhere(chunkSize: Int) {
        var splitter = JSONObjectSplitter()
        let bytes = Array(stream.utf8)
        var objects: [String] = []
        for start in stride(from: 0, to: bytes.count, by: chunkSize) {
            let chunk = bytes[start..<min(start + chunkSize, bytes.count)]
            objects += splitter.append(chunk).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(objects == stream.split(separator: "\n").map(String.init))
    }

    @Test("an unfinished object is held until its end arrives")
    func unfinished() {
        var splitter = JSONObjectSplitter()
        #expect(splitter.append(Array(#"{"a":{"b":"#.utf8)).isEmpty)
        #expect(splitter.pendingCount > 0)
        #expect(splitter.append(Array(#""}"}}{"c":1}"#.utf8)).map { String(decoding: $0, as: UTF8.self) }
            == [#"{"a":{"b":"}"}}"#, #"{"c":1}"#])
    }
}
