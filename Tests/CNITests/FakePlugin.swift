@testable import CNI

/// A plugin that records what the dispatcher handed it and answers as told.
final class FakePlugin: CNIPlugin {
    enum Call: Equatable {
        case add(AttachmentRequest), check(AttachmentRequest), del(DetachmentRequest)
        case gc(NetworkRequest), status(NetworkRequest)
    }

    private(set) var calls: [Call] = []
    private let result: CNIResult
    private let failure: (any Error)?

    init(result: CNIResult = Fixture.ipv4Result, failure: (any Error)? = nil) {
        self.result = result
        self.failure = failure
    }

    func add(_ request: AttachmentRequest) throws -> CNIResult {
        calls.append(.add(request))
        try failure.map { throw $0 }
        return result
    }

    func check(_ request: AttachmentRequest) throws { try record(.check(request)) }
    func del(_ request: DetachmentRequest) throws { try record(.del(request)) }
    func gc(_ request: NetworkRequest) throws { try record(.gc(request)) }
    func status(_ request: NetworkRequest) throws { try record(.status(request)) }

    private func record(_ call: Call) throws {
        calls.append(call)
        try failure.map { throw $0 }
    }
}
