import NetworkModel
import Foundation
import Testing
@testable import IPAM

/// Test shorthands.
func ip(_ text: String) -> IPAddress { IPAddress(text)! }
func prefix(_ text: String) -> IPPrefix { IPPrefix(text)! }
func attachment(_ id: String, _ ifname: String = "eth0") -> AttachmentID { AttachmentID(containerID: id, ifname: ifname) }
let testPod = PodMetadata(namespace: "default", name: "web-0", netns: "/var/run/netns/cni-1")

/// Runs `body` with a fresh directory under /tmp, removed afterwards (also when `body` throws).
@discardableResult
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array("/tmp/trellis-ipam-test.XXXXXX".utf8CString)
    let path = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}
