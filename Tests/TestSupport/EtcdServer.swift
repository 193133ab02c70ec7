import Foundation
import Synchronization

/// A real single-member etcd (`/usr/bin/etcd`, Debian's etcd-server) for one test: its own data
/// directory under /tmp, client and peer ports of its own, on loopback or inside a given network
/// namespace. `stop()` and `start()` restart it on the same data directory and ports (for
/// restart tests); `kill()` stops it as a crash would. The process is killed and the data
/// directory removed when the value is deinitialised, so `withEtcdServer` cleans up also when
/// the test throws.
public final class EtcdServer: Sendable {
    /// The address etcd listens on (127.0.0.1 unless given).
    public let listenAddress: String
    /// The network namespace etcd runs in (`ip netns exec NAME`), or nil for this one.
    public let namespace: String?
    /// Port of the client URL (what `endpoint` names).
    public let clientPort: Int
    /// Port of the peer URL.
    public let peerPort: Int
    /// The data directory, kept across `stop()`/`start()`.
    public let dataDirectory: String
    /// More etcd flags, appended to every start (`--experimental-watch-progress-notify-interval=1s`).
    public let extraArguments: [String]
    /// TLS on the client URL with client certificates required, or nil for plain HTTP.
    public let tls: TLS?
    /// The running process, if any.
    private let process = Mutex<Process?>(nil)

    /// etcd's client TLS (`--client-cert-auth --trusted-ca-file --cert-file --key-file`), and the
    /// client pair `etcdctl` uses.
    public struct TLS: Sendable {
        public var caFile: String
        public var certFile: String
        public var keyFile: String
        public var clientCertFile: String
        public var clientKeyFile: String

        public init(caFile: String, certFile: String, keyFile: String, clientCertFile: String, clientKeyFile: String) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.clientCertFile = clientCertFile
            self.clientKeyFile = clientKeyFile
        }
    }

    /// The client URL: `http://ADDRESS:PORT`, or `https://` with `tls`.
    public var endpoint: String { "\(tls == nil ? "http" : "https")://\(listenAddress):\(clientPort)" }

    /// The member's log (etcd's stderr and stdout), for failure messages.
    public var logPath: String { dataDirectory + ".log" }

    /// Starts a fresh etcd and waits until it answers a health check. Without `namespace` the
    /// ports are ones the kernel reports free on `listenAddress`; inside a (fresh) namespace they
    /// are random. Throws `EtcdServerError` when it does not come up within `timeout`.
    public init(listenAddress: String = "127.0.0.1", namespace: String? = nil, extraArguments: [String] = [],
                tls: TLS? = nil, timeout: Duration = .seconds(30)) throws {
        self.listenAddress = listenAddress
        self.tls = tls
        self.namespace = namespace
        self.extraArguments = extraArguments
        if namespace == nil {
            clientPort = try freePort(on: listenAddress)
            peerPort = try freePort(on: listenAddress)
        } else {
            clientPort = Int.random(in: 20000..<40000)
            peerPort = clientPort + 1
        }
        dataDirectory = "/tmp/trellis-etcd-" + UUID().uuidString.prefix(8).lowercased()
        try start(timeout: timeout)
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: dataDirectory)
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// Starts etcd on the data directory (again, after `stop()` or `kill()`) and waits until it
    /// is healthy. Does nothing when it is running.
    public func start(timeout: Duration = .seconds(30)) throws {
        if process.withLock({ $0?.isRunning ?? false }) { return }
        let peerURL = "http://\(listenAddress):\(peerPort)"
        let arguments = [
            "--name", "trellis-test", "--data-dir", dataDirectory,
            "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
            "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
            "--initial-cluster", "trellis-test=\(peerURL)", "--initial-cluster-state", "new",
        ] + (tls.map { ["--client-cert-auth", "--trusted-ca-file", $0.caFile, "--cert-file", $0.certFile,
                        "--key-file", $0.keyFile] } ?? []) + extraArguments
        let child = try namespace.map { namespace in
            try startAppendingOutput(to: logPath, "/usr/sbin/ip", ["netns", "exec", namespace, "/usr/bin/etcd"] + arguments)
        } ?? startAppendingOutput(to: logPath, "/usr/bin/etcd", arguments)
        process.withLock { $0 = child }
        try waitUntilHealthy(timeout: timeout)
    }

    /// Stops etcd gracefully (SIGTERM) and waits for it to exit; the data stays.
    public func stop() {
        signal(SIGTERM)
    }

    /// Kills etcd (SIGKILL), as a crash would, and waits for it to exit; the data stays.
    public func kill() {
        signal(SIGKILL)
    }

    private func signal(_ signal: Int32) {
        guard let child = process.withLock({ current in defer { current = nil }; return current }) else { return }
        if child.isRunning {
            Foundation.kill(child.processIdentifier, signal)
        }
        child.waitUntilExit()
    }

    /// Runs `etcdctl` against this member (inside its namespace, if it has one) and returns its
    /// stdout: `etcdctl(["compact", "42"])`, `etcdctl(["get", "--prefix", "/trellis"])`.
    @discardableResult
    public func etcdctl(_ arguments: [String]) throws -> String {
        let command = ["env", "ETCDCTL_API=3", "etcdctl", "--endpoints", endpoint,
                       "--dial-timeout=2s", "--command-timeout=5s"]
            + (tls.map { ["--cacert", $0.caFile, "--cert", $0.clientCertFile, "--key", $0.clientKeyFile] } ?? []) + arguments
        return try run(namespace.map { ["ip", "netns", "exec", $0] + command } ?? command)
    }

    private func waitUntilHealthy(timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.withLock({ $0?.isRunning ?? false }) else {
                throw EtcdServerError(message: "etcd exited while starting", log: logTail())
            }
            if (try? etcdctl(["endpoint", "health"])) != nil { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw EtcdServerError(message: "etcd not healthy after \(timeout)", log: logTail())
    }

    private func logTail() -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(20).joined(separator: "\n")
    }
}

/// etcd did not come up; `log` is the end of its output.
public struct EtcdServerError: Error, CustomStringConvertible {
    /// What went wrong.
    public let message: String
    /// The last lines etcd wrote.
    public let log: String

    /// The message, then the log.
    public var description: String { "\(message)\n\(log)" }
}

/// Runs `body` with a fresh etcd that is killed and whose data is removed afterwards, also when
/// `body` throws. One at a time in the test process: suites of different test targets run in
/// parallel, and lease timing on two shared cores is not something to run several etcd members
/// against at once.
public func withEtcdServer<T>(listenAddress: String = "127.0.0.1", namespace: String? = nil, extraArguments: [String] = [],
                              tls: EtcdServer.TLS? = nil, _ body: (EtcdServer) async throws -> T) async throws -> T {
    await EtcdTurn.shared.take()
    let result: T
    do {
        let server = try EtcdServer(listenAddress: listenAddress, namespace: namespace, extraArguments: extraArguments, tls: tls)
        defer { server.kill() }
        result = try await body(server)
    } catch {
        await EtcdTurn.shared.pass()
        throw error
    }
    await EtcdTurn.shared.pass()
    return result
}

/// Whose turn it is to run an etcd: one holder, the others wait in order.
private actor EtcdTurn {
    static let shared = EtcdTurn()
    private var taken = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func take() async {
        guard taken else {
            taken = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func pass() {
        if waiting.isEmpty { taken = false } else { waiting.removeFirst().resume() }
    }
}

/// A TCP port nothing listens on at `address` right now (the kernel's pick for port 0).
public func freePort(on address: String = "127.0.0.1") throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw EtcdServerError(message: "socket: errno \(errno)", log: "") }
    defer { close(fd) }
    var socketAddress = sockaddr_in()
    socketAddress.sin_family = sa_family_t(AF_INET)
    socketAddress.sin_port = 0
    inet_pton(AF_INET, address, &socketAddress.sin_addr)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &socketAddress) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
            bind(fd, address, length) == 0 && getsockname(fd, address, &length) == 0
        }
    }
    guard bound else { throw EtcdServerError(message: "bind \(address):0: errno \(errno)", log: "") }
    return Int(UInt16(bigEndian: socketAddress.sin_port))
}
