import Foundation

/// A network namespace made for one test (`ip netns add trl-test-XXXXXXXX`), removed by the
/// scoped helpers below even when the test throws. Never the host's namespace.
public struct TestNamespace: Sendable, Hashable {
    /// The namespace's name, `trl-test-` plus 8 random hex digits.
    public let name: String

    /// The namespace's bind mount, `/var/run/netns/NAME`: what `NetlinkHandle(namespacePath:)`
    /// and `NetworkNamespace.run(at:)` take.
    public var path: String { "/var/run/netns/\(name)" }

    /// Creates a new, uniquely named namespace with `lo` up. Throws `CommandError` on failure.
    public static func create() throws -> TestNamespace {
        let namespace = TestNamespace(name: "trl-test-" + String(format: "%08x", UInt32.random(in: .min ... .max)))
        try run(["ip", "netns", "add", namespace.name])
        do {
            try namespace.exec(["ip", "link", "set", "lo", "up"])
        } catch {
            namespace.remove()
            throw error
        }
        return namespace
    }

    /// Runs `argv` inside the namespace (`ip netns exec NAME ...`) and returns its stdout.
    /// Throws `CommandError` with stderr when it exits non-zero.
    @discardableResult
    public func exec(_ argv: [String], input: String? = nil) throws -> String {
        try run(["ip", "netns", "exec", name] + argv, input: input)
    }

    /// Runs an `ip -j ...` / `bridge -j ...` command inside the namespace and parses its output.
    public func json(_ argv: [String]) throws -> [[String: Any]] {
        try jsonObjects(exec(argv))
    }

    /// Deletes the namespace (`ip netns del NAME`); ignores a namespace already gone.
    public func remove() {
        _ = try? run(["ip", "netns", "del", name])
    }
}

/// Runs `body` with a fresh namespace and deletes it afterwards, also when `body` throws.
public func withTestNamespace<T>(_ body: (TestNamespace) throws -> T) throws -> T {
    try withTestNamespaces(count: 1) { try body($0[0]) }
}

/// Runs `body` with `count` fresh namespaces and deletes them all afterwards, also when `body`
/// (or creating one of them) throws.
public func withTestNamespaces<T>(count: Int, _ body: ([TestNamespace]) throws -> T) throws -> T {
    var namespaces: [TestNamespace] = []
    defer { namespaces.forEach { $0.remove() } }
    for _ in 0..<count { namespaces.append(try .create()) }
    return try body(namespaces)
}

/// The `async` form of `withTestNamespace`, for tests that await.
public func withTestNamespace<T>(_ body: (TestNamespace) async throws -> T) async throws -> T {
    try await withTestNamespaces(count: 1) { try await body($0[0]) }
}

/// The `async` form of `withTestNamespaces(count:)`.
public func withTestNamespaces<T>(count: Int, _ body: ([TestNamespace]) async throws -> T) async throws -> T {
    var namespaces: [TestNamespace] = []
    defer { namespaces.forEach { $0.remove() } }
    for _ in 0..<count { namespaces.append(try .create()) }
    return try await body(namespaces)
}
