import Foundation
import IPAM
import Synchronization
import Testing

/// The labs of one run of a suite, one per mode, all on one datastore: each is brought up the first time a test asks
/// for it and shared by the tests that follow (a lab takes seconds to start; its tests leave it
/// as they found it), then torn down when the suite ends, also when tests failed.
final class LabPool: Sendable {
    /// The pool of the suite being run (set by the `.sharedLabs` trait).
    @TaskLocal static var current: LabPool?

    /// A lab that failed to come up stays failed: the next test fails at once instead of waiting
    /// for another timeout.
    private let labs = Mutex<[NodeInfo.Mode: Result<Lab, any Error>]>([:])
    private let make: @Sendable (NodeInfo.Mode) throws -> Lab

    /// A pool whose labs `make` brings up.
    init(make: @escaping @Sendable (NodeInfo.Mode) throws -> Lab) {
        self.make = make
    }

    /// The lab in `mode`, brought up on first use. Throws what bringing it up threw.
    func lab(_ mode: NodeInfo.Mode) throws -> Lab {
        try labs.withLock { labs in
            if let existing = labs[mode] { return try existing.get() }
            let result = Result { try make(mode) }
            labs[mode] = result
            return try result.get()
        }
    }

    /// Takes every lab down.
    func tearDown() {
        let all = labs.withLock { labs in defer { labs = [:] }; return labs.values }
        for case .success(let lab) in all { lab.down() }
    }
}

/// Gives a suite one `LabPool` for all of its tests, torn down after the last one.
struct SharedLabsTrait: SuiteTrait, TestScoping {
    var make: @Sendable (NodeInfo.Mode) throws -> Lab
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        let pool = LabPool(make: make)
        defer { pool.tearDown() }
        try await LabPool.$current.withValue(pool) { try await function() }
    }
}

extension Trait where Self == SharedLabsTrait {
    /// One lab per mode on etcd, shared by the suite's tests and torn down when the suite ends.
    static var sharedLabs: Self { sharedLabs(datastore: .etcd) }

    /// One lab per mode on `datastore`, shared by the suite's tests and torn down when it ends.
    static func sharedLabs(datastore: Lab.Datastore) -> Self { Self { try Lab(mode: $0, datastore: datastore) } }

    /// One lab per mode that `make` brings up, shared by the suite's tests.
    static func sharedLabs(_ make: @escaping @Sendable (NodeInfo.Mode) throws -> Lab) -> Self { Self(make: make) }
}

/// The suite's lab in `mode` (see `LabPool`).
func sharedLab(_ mode: NodeInfo.Mode) throws -> Lab {
    let pool = try #require(LabPool.current, "lab tests need the suite trait .sharedLabs")
    return try pool.lab(mode)
}

/// Polls `condition` every 100 ms until it holds (true) or `timeout` passes (false).
func eventually(within timeout: Duration = .seconds(30), _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        Thread.sleep(forTimeInterval: 0.1)
    }
}

/// Polls `condition` every 100 ms for `duration`: true when it held every time, false as soon as
/// it does not. For what must stay true (routes while the datastore is away).
func holds(for duration: Duration, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + duration
    while ContinuousClock.now < deadline {
        guard try condition() else { return false }
        Thread.sleep(forTimeInterval: 0.1)
    }
    return try condition()
}
