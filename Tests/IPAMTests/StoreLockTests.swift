import NetworkModel
import Foundation
import Synchronization
import Testing
@testable import IPAM

/// Collects what concurrent workers report.
private final class Outcomes: Sendable {
    let addresses = Mutex<[String: [IPAddress]]>([:])
    let failures = Mutex<[String]>([])
}

@Suite struct StoreLockTests {
    @Test func concurrentAddsThroughSeparateOpensOfTheLockGetDistinctAddressesAndSameForRetries() throws {
        try withTemporaryDirectory { dir in
            // Each thread opens the lock file itself: flock excludes open file descriptions, so
            // this is the same contention as between plugin processes. Two workers share each
            // attachment (a retried ADD): without the lock both would reserve an address.
            let outcomes = Outcomes()
            let group = DispatchGroup()
            let workers = 48
            for index in 0..<workers {
                group.enter()
                Thread {
                    defer { group.leave() }
                    let id = "c\(index / 2)"
                    do {
                        let store = try DiskStore(dataDir: dir, network: "trellis")
                        let got = try store.allocate(for: attachment(id), pod: testPod,
                                                     ranges: [prefix("10.244.1.0/24"), prefix("fd00::/64")])
                        outcomes.addresses.withLock { $0["\(id)/\(index % 2)"] = got }
                    } catch {
                        outcomes.failures.withLock { $0.append("\(id): \(error)") }
                    }
                }.start()
            }
            group.wait()
            #expect(outcomes.failures.withLock { $0 } == [])
            let got = outcomes.addresses.withLock { $0 }
            #expect(got.count == workers)
            #expect((0..<workers / 2).allSatisfy { got["c\($0)/0"] == got["c\($0)/1"] })
            #expect(Set(got.values.flatMap { $0 }).count == workers)
            let records = try DiskStore(dataDir: dir, network: "trellis").list().records
            #expect(records.count == workers)
            #expect(Set(records.map(\.attachment)).count == workers / 2)
        }
    }

    @Test func lockHeldByAnotherProcessTimesOutWithTheTryAgainErrorThenAllocationProceeds() throws {
        try withTemporaryDirectory { dir in
            let store = try DiskStore(dataDir: dir, network: "trellis", lockTimeout: .milliseconds(300))
            try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
            // flock(1) takes the lock, then its child says so and waits for stdin to close.
            let holder = Process()
            holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
            holder.arguments = ["--exclusive", "--close", store.lockPath, "sh", "-c", "echo locked; read _"]
            let input = Pipe(), output = Pipe()
            holder.standardInput = input
            holder.standardOutput = output
            try holder.run()
            defer {
                try? input.fileHandleForWriting.close()
                holder.waitUntilExit()
            }
            #expect(String(decoding: output.fileHandleForReading.availableData, as: UTF8.self) == "locked\n")

            let started = ContinuousClock.now
            #expect(throws: IPAMError.lockTimeout(path: store.lockPath, seconds: 0.3)) {
                try store.allocate(for: attachment("c1"), pod: testPod, ranges: [prefix("10.244.1.0/24")])
            }
            #expect(ContinuousClock.now - started >= .milliseconds(300))

            try input.fileHandleForWriting.close()
            holder.waitUntilExit()
            #expect(try store.allocate(for: attachment("c1"), pod: testPod, ranges: [prefix("10.244.1.0/24")])
                    == [ip("10.244.1.1")])
        }
    }
}
