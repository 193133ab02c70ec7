#if canImport(Glibc)
import Glibc
#endif
import Netlink

/// Why wiring, checking or tearing down a pod failed.
public enum PodNetworkError: Error, CustomStringConvertible {
    /// A kernel operation failed; the netlink error names the object and errno.
    case netlink(step: String, NetlinkError)
    /// A `/proc/sys` key could not be written.
    case sysctl(key: String, errno: Int32)
    /// The pod's network namespace could not be entered.
    case namespaceUnavailable(path: String, underlying: any Error)
    /// The host veth name is already taken: a previous ADD of this attachment, or a leftover.
    case hostInterfaceExists(name: String, containerID: String)
    /// A just-created veth end reads back without a MAC address, so the pod's gateway neighbour
    /// cannot be made (a wiring failure, not a CHECK finding).
    case missingMAC(interface: String)
    /// CHECK found the pod's wiring different from what ADD made; one finding per difference.
    case checkFailed([String])

    public var description: String {
        switch self {
        case .netlink(let step, let error): "\(step): \(error)"
        case .sysctl(let key, let errno): "sysctl \(key.replacingSlashes): \(String(cString: strerror(errno)))"
        case .namespaceUnavailable(let path, let underlying): "network namespace \(path): \(underlying)"
        case .hostInterfaceExists(let name, let containerID):
            "host interface \(name) already exists (container \(containerID) is already attached, or a previous attachment was not removed)"
        case .missingMAC(let interface): "\(interface) has no MAC address"
        case .checkFailed(let findings): "pod network check failed: " + findings.joined(separator: "; ")
        }
    }
}

private extension String {
    var replacingSlashes: String { String(map { $0 == "/" ? "." : $0 }) }
}
