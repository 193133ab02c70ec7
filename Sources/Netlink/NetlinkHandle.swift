import CNetlink
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One netlink (NETLINK_ROUTE) socket bound to one network namespace: every operation of this
/// module is a method on it, named after the `ip`/`bridge` verb it performs (the files
/// `LinkOperations.swift`, `AddressOperations.swift`, ... hold them, one kernel object each).
///
/// The socket stays in the namespace it was opened in, so a handle for a pod's namespace is
/// usable from any thread or task. Calls are serialised by a mutex; a handle can be shared.
/// Every failure is a `NetlinkError` naming the operation in `ip`'s words.
public final class NetlinkHandle: Sendable {
    private let socket: Mutex<Socket>
    /// The namespace the socket was opened in; `nil` for the creator's own namespace.
    public let namespacePath: String?

    /// A handle for the calling thread's current network namespace.
    /// Throws `NetlinkError.request` when the socket cannot be opened.
    public init() throws {
        do throws(SocketFailure) {
            socket = Mutex(try Socket())
            namespacePath = nil
        } catch {
            throw NetlinkError.request(operation: "open netlink socket", errno: error.errno)
        }
    }

    /// A handle whose socket is opened inside the namespace at `namespacePath` (e.g.
    /// `/var/run/netns/x`, `/proc/PID/ns/net`) and stays bound to it.
    /// Throws `NetlinkError.namespace` when the namespace cannot be entered.
    public init(namespacePath: String) throws {
        let opened = try NetworkNamespace.run(at: namespacePath) { () throws -> Socket in
            do throws(SocketFailure) {
                return try Socket()
            } catch {
                throw NetlinkError.request(operation: "open netlink socket in netns \(namespacePath)",
                                           errno: error.errno)
            }
        }
        socket = Mutex(opened)
        self.namespacePath = namespacePath
    }

    /// How many dumps this handle has repeated because the kernel marked them interrupted
    /// (the table changed mid-dump, NLM_F_DUMP_INTR) or messages were lost (ENOBUFS): a
    /// counter for the agent's metrics.
    public var repeatedDumps: Int {
        socket.withLock { $0.repeatedDumps }
    }

    /// `change` as the `ip`/`bridge` command that makes it, with device names looked up in this
    /// handle's namespace (`"#INDEX"` for a link that does not exist): for reports such as
    /// `cnictl diagnose`.
    public func describe(_ change: NetlinkChange) -> String {
        socket.withLock { change.describe(DeviceNames(socket: $0)) }
    }

    /// Runs `body` with the socket held; a socket failure becomes `NetlinkError.request` whose
    /// operation `describe` renders (given a resolver from link index to name, used only then),
    /// followed by the namespace for a handle opened in another one.
    func perform<T: Sendable>(_ describe: (DeviceNames) -> String,
                              _ body: (Socket) throws(SocketFailure) -> T) throws -> T {
        try socket.withLock { socket throws -> T in
            do throws(SocketFailure) {
                return try body(socket)
            } catch {
                throw NetlinkError.request(operation: describe(DeviceNames(socket: socket)) + location, errno: error.errno)
            }
        }
    }

    /// Sends one request per item, `Self.batchSize` requests per datagram and ACK cycle, and
    /// lets every item take effect even when some fail. Returns each failed item's index with
    /// its error (the operation rendered by `describe`); throws `.request` for `operation` when
    /// the socket itself fails.
    func performBatch<Item>(_ items: [Item], _ operation: String,
                            describe: (Item, DeviceNames) -> String,
                            build: (Item) throws(SocketFailure) -> Message) throws -> [(index: Int, error: NetlinkError)] {
        try socket.withLock { socket throws -> [(index: Int, error: NetlinkError)] in
            var failures: [(index: Int, error: NetlinkError)] = []
            do throws(SocketFailure) {
                for start in stride(from: 0, to: items.count, by: Self.batchSize) {
                    let end = min(start + Self.batchSize, items.count)
                    var messages: [Message] = []
                    for item in items[start..<end] { messages.append(try build(item)) }
                    for failure in try socket.executeBatch(messages) {
                        let index = start + failure.index
                        let description = describe(items[index], DeviceNames(socket: socket)) + location
                        failures.append((index, .request(operation: description, errno: failure.errno)))
                    }
                }
            } catch {
                throw NetlinkError.request(operation: operation + location, errno: error.errno)
            }
            return failures
        }
    }

    /// `" in netns PATH"` for a handle opened in another namespace, else empty: the suffix of
    /// every operation in this handle's errors.
    private var location: String { namespacePath.map { " in netns \($0)" } ?? "" }

    /// Requests per datagram in `performBatch`: their ACKs fit the receive buffer many times over.
    static let batchSize = 256
}

/// Names for link indices in error messages: `dev eth0` reads better than `dev #7`. Looked up
/// only when an operation has already failed.
struct DeviceNames {
    let socket: Socket

    /// `"NAME"` for an existing link, `"#INDEX"` otherwise.
    func callAsFunction(_ index: Int32) -> String {
        (try? LinkParser.fetch(index: index, name: nil, from: socket))?.name ?? "#\(index)"
    }
}
