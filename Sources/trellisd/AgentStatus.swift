import Foundation
import Overlay

/// The live status, shared by the agent's loop and the HTTP server.
actor AgentStatus {
    static let errorLimit = 20
    private(set) var report: AgentStatusReport

    init(nodeName: String, mode: String) {
        report = AgentStatusReport(nodeName: nodeName, mode: mode)
    }

    /// True once the datastore was told this node's datapath is wired.
    private(set) var announced = false

    func markAnnounced() { announced = true }

    /// Ready to serve pods: registered, synced once, datastore reachable.
    var isReady: Bool { report.phase == .ready }

    func update(_ change: @Sendable (inout AgentStatusReport) -> Void) {
        change(&report)
    }

    func record(error: String) {
        report.errors.append("\(Date().formatted(.iso8601)) \(error)")
        if report.errors.count > Self.errorLimit { report.errors.removeFirst(report.errors.count - Self.errorLimit) }
    }
}
