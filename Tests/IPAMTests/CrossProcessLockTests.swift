import Foundation
import Testing
@testable import IPAM

/// Real plugin processes contending for the store: the test binary runs itself as children
/// (selected with `--filter` and told their role through the environment).
@Suite struct CrossProcessLockTests {
    static let childDirectoryVariable = "TRELLIS_IPAM_TEST_CHILD_DIR"
    static let childIndexVariable = "TRELLIS_IPAM_TEST_CHILD_INDEX"
    static let children = 8
    static let addsPerChild = 5
    let dualStack = [prefix("10.244.1.0/24"), prefix("fd00::/64")]

    @Test func addsFromSeparateProcessesGetDistinctAddressesAndAgreeOnASharedAttachment() throws {
        let environment = ProcessInfo.processInfo.environment
        if let dir = environment[Self.childDirectoryVariable], let index = environment[Self.childIndexVariable] {
            try runChild(dir: dir, index: index)
            return
        }
        try withTemporaryDirectory { dir in
            let binary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            let children = try (0..<Self.children).map { index in
                let child = Process()
                child.executableURL = URL(fileURLWithPath: binary)
                child.arguments = ["--testing-library", "swift-testing", "--filter",
                                   "CrossProcessLockTests/addsFromSeparateProcesses"]
                child.environment = environment.merging([Self.childDirectoryVariable: dir,
                                                         Self.childIndexVariable: "\(index)"]) { $1 }
                FileManager.default.createFile(atPath: "\(dir)/child-\(index).log", contents: nil)
                child.standardOutput = FileHandle(forWritingAtPath: "\(dir)/child-\(index).log")
                child.standardError = child.standardOutput
                try child.run()
                return child
            }
            for (index, child) in children.enumerated() {
                child.waitUntilExit()
                let log = (try? String(contentsOfFile: "\(dir)/child-\(index).log", encoding: .utf8)) ?? ""
                #expect(child.terminationStatus == 0, "child \(index) failed:\n\(log)")
            }
            let results = try (0..<Self.children).flatMap { index in
                try String(contentsOfFile: "\(dir)/result-\(index)", encoding: .utf8).split(separator: "\n")
            }
            let own = results.filter { !$0.hasPrefix("shared ") }
            let shared = Set(results.filter { $0.hasPrefix("shared ") })
            #expect(own.count == Self.children * Self.addsPerChild)
            #expect(Set(own.flatMap { $0.split(separator: " ").dropFirst() }).count == 2 * own.count)
            #expect(shared.count == 1)
            let records = try DiskStore(dataDir: dir, network: "trellis").list().records
            #expect(records.count == 2 * (own.count + 1))
        }
    }

    /// A child's part: its own attachments, each ADD followed by an ADD of one attachment all
    /// children share; one result line per ADD ("container address address").
    private func runChild(dir: String, index: String) throws {
        let store = try DiskStore(dataDir: dir, network: "trellis")
        var lines: [String] = []
        for add in 0..<Self.addsPerChild {
            for id in ["p\(index)-\(add)", "shared"] {
                let got = try store.allocate(for: attachment(id), pod: testPod, ranges: dualStack)
                lines.append(([id] + got.map(\.description)).joined(separator: " "))
            }
        }
        try lines.joined(separator: "\n").write(toFile: "\(dir)/result-\(index)", atomically: true, encoding: .utf8)
    }
}
