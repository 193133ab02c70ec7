import FoundationEssentials
import Glibc

/// The human form of an `IPAMReport`: a header, the slices, one aligned row per allocation and
/// the corrupt records, readable at a glance with a few hundred pods.
extension IPAMReport {
    /// The report as text, ages measured at `now`.
    public func table(now: Date = Date()) -> String {
        var lines = ["network \(network) (\(directory))" + (nodeName.map { ", node \($0)" } ?? "")
                     + (mode.map { ", mode \($0.rawValue)" } ?? "")]
        if let nodeInfoProblem { lines.append("slices unknown: \(nodeInfoProblem)") }
        if !slices.isEmpty {
            lines += Self.aligned([["SLICE", "USED", "FREE"]] + slices.map { [$0.prefix.description, "\($0.used)", "\($0.free)"] })
        }
        lines.append("")
        if allocations.isEmpty {
            lines.append("no allocations")
        } else {
            let header = ["ADDRESS", "CONTAINER", "IFNAME", "POD", "AGE", ""]
            lines += Self.aligned([header] + allocations.map { row(for: $0, now: now) })
            let outside = outsideSlice.count
            if outside > 0 { lines.append("\(outside) allocation(s) outside the current slice(s)") }
        }
        if !corrupt.isEmpty {
            lines.append("")
            lines.append("corrupt records (the address stays taken; `cnictl ipam release IP` frees it):")
            lines += Self.aligned(corrupt.map { ["  " + $0.address.description, $0.path, $0.reason] })
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A compact age: `45s`, `3m`, `2h`, `5d` (truncated; negative ages, from clock skew, are 0s).
    public static func age(from created: Date, to now: Date) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(created)))
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3600: return "\(seconds / 60)m"
        case ..<86400: return "\(seconds / 3600)h"
        default: return "\(seconds / 86400)d"
        }
    }

    private func row(for allocation: Allocation, now: Date) -> [String] {
        let pod = switch (allocation.podNamespace, allocation.podName) {
        case (let namespace?, let name?): "\(namespace)/\(name)"
        case (nil, let name?): name
        default: "-"
        }
        return [allocation.address.description, String(allocation.containerID.prefix(12)), allocation.ifname,
                pod, Self.age(from: allocation.created, to: now), allocation.inSlice == false ? "OUTSIDE SLICE" : ""]
    }

    /// Pads every column to its widest cell, two spaces apart, without trailing blanks.
    static func aligned(_ rows: [[String]]) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { cells in
            let padded = cells.enumerated().map { $1 + String(repeating: " ", count: max(0, widths[$0] - $1.count)) }
            let line = padded.joined(separator: "  ")
            return String(line.reversed().drop(while: { $0 == " " }).reversed())
        }
    }
}
