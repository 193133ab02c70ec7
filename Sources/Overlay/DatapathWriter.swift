import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// Where the reconciler sends its writes: the seam between the plan and the kernel. The
/// production writer is the `NetlinkHandle` itself; tests wrap it to count writes or inject
/// faults.
public protocol DatapathWriter: Sendable {
    /// Sends `operations` in order and returns the ones that failed (the others took effect).
    /// Throws when the transport itself fails; then any of them may or may not have happened.
    func write(_ operations: [DatapathOperation]) throws -> [DatapathFailure]

    /// Whether the kernel keeps nexthop objects (Linux 5.3 and later): asked once, before the
    /// first write, to choose the `RouteShape`. False makes the reconciler program plain onlink
    /// routes. Throws when the question itself cannot be asked (the socket fails).
    func supportsNexthops() throws -> Bool
}

/// A write the kernel (or a test's injector) refused.
public struct DatapathFailure: Error, Sendable, CustomStringConvertible {
    /// The refused operation.
    public var operation: DatapathOperation
    /// Why: the operation in `ip`'s words and the errno.
    public var error: NetlinkError

    /// A failure; every property as documented on the type.
    public init(operation: DatapathOperation, error: NetlinkError) {
        self.operation = operation
        self.error = error
    }

    /// The error's description, e.g. `"route add 10.244.2.0/24 ...: File exists"`.
    public var description: String { error.description }
}

extension NetlinkHandle: DatapathWriter {
    /// `apply(_:)`: the operations in batches, in order, failures by operation.
    public func write(_ operations: [DatapathOperation]) throws -> [DatapathFailure] {
        try apply(operations).map { DatapathFailure(operation: $0.change, error: $0.error) }
    }

    /// One dump of the nexthops: a kernel without them answers `EOPNOTSUPP` (an unknown message
    /// type) or `EINVAL`/`EAFNOSUPPORT` (an unknown family).
    public func supportsNexthops() throws -> Bool {
        do {
            _ = try nexthops()
            return true
        } catch let error as NetlinkError where [EOPNOTSUPP, EINVAL, EAFNOSUPPORT, EPROTONOSUPPORT].contains(error.errno) {
            return false
        }
    }
}
