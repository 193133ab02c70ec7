import Foundation

/// `ip -o monitor route neigh` in one lab node: every route and neighbour change the kernel
/// reports there, for proving that something did *not* happen (a route deleted and re-added
/// during an agent restart is invisible to a before/after comparison).
///
/// `init` returns only once the monitor has seen a marker route it adds (192.0.2.1/32 on `lo`), so
/// no change made afterwards can be missed. The process is stopped by `stop()` or when the value
/// is deinitialised.
final class LabKernelMonitor {
    static let marker = "192.0.2.1/32"

    let node: String
    private let lab: Lab
    private let process = Process()
    private let output: URL

    init(lab: Lab, node: String) throws {
        self.lab = lab
        self.node = node
        output = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-monitor-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let namespace = try lab.info(node)["namespace"] ?? ""
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace, "ip", "-o", "monitor", "route", "neigh"]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try lab.exec(node, ["ip", "route", "replace", Self.marker, "dev", "lo"])
        guard eventually(within: .seconds(10), { self.lines().contains { $0.contains("192.0.2.1") } }) else {
            throw LabError(message: "ip monitor in \(node) did not report the marker route")
        }
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(at: output)
    }

    /// Stops the monitor (and removes the marker) and returns every line it printed.
    func stop() -> [String] {
        kill()
        process.waitUntilExit()
        _ = try? lab.exec(node, ["ip", "route", "del", Self.marker, "dev", "lo"])
        return lines()
    }

    /// The deletions of Trellis's entries seen so far: routes into the pod CIDRs (IPv4 and the
    /// dual-stack lab's IPv6) and entries on the VXLAN device.
    var trellisDeletions: [String] {
        // Not the kernel's own IPv6 multicast neighbours on the device (`ff02::... lladdr 33:33:...`,
        // NOARP), which it expires on its own schedule.
        lines().filter { $0.hasPrefix("Deleted") && ["10.244.", "fd00:10:244:", "trellis.vxlan"].contains(where: $0.contains)
            && !$0.contains("lladdr 33:33:") }
    }

    /// SIGKILL: children of the test process may inherit a mask that blocks SIGTERM.
    private func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    private func lines() -> [String] {
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }
}
