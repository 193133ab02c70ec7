import CNetlink
#if canImport(Glibc)
import Glibc
#endif

// Why this is tricky: libnl's defaults suit one request at a time. Its sequence check expects
// strictly one answer per request, it folds the kernel's errno into coarse NLE_* codes (ENOBUFS
// and ENOMEM look the same), and it peeks every datagram twice. This socket keeps libnl for
// building and parsing messages but receives with its own callbacks: messages whose sequence
// number is not one of the outstanding requests are skipped (leftovers of an aborted dump),
// each ACK or error is matched to its request, the kernel's errno is kept exactly, and a dump
// that the kernel marks interrupted (NLM_F_DUMP_INTR) or that loses messages (ENOBUFS) is
// repeated from the start.

/// A failure inside the socket layer: just the errno; `NetlinkHandle` adds what was attempted.
struct SocketFailure: Error {
    let errno: Int32
}

/// One NETLINK_ROUTE socket. Not thread-safe: `NetlinkHandle` serialises every use.
///
/// `@unchecked Sendable` only so that a socket opened on a namespace thread can be handed to the
/// handle that owns it; from then on the handle's mutex guards every call.
final class Socket: @unchecked Sendable {
    private let sk: OpaquePointer
    /// Dumps repeated so far because the kernel interrupted them or messages were lost.
    private(set) var repeatedDumps = 0

    /// Receive and send buffer size: room for the ACKs of a full batch and large dumps.
    static let bufferSize: Int32 = 8 << 20
    /// Largest datagram read at once (the kernel's dump skbs are at most 32 KiB).
    static let messageBufferSize = 64 << 10
    /// How often a dump is repeated after the kernel interrupted it or messages were lost.
    static let dumpAttempts = 5

    /// Opens and connects a NETLINK_ROUTE socket in the calling thread's network namespace.
    init() throws(SocketFailure) {
        guard let sk = nl_socket_alloc() else { throw SocketFailure(errno: ENOMEM) }
        self.sk = sk
        let code = nl_connect(sk, NETLINK_ROUTE)
        guard code >= 0 else { throw SocketFailure(errno: errnoFromLibnl(code)) }
        nl_socket_disable_msg_peek(sk)
        _ = nl_socket_set_msg_buf_size(sk, Self.messageBufferSize)
        sizeBuffers()
        var on: Int32 = 1
        // Short ACKs (no copy of the request): 15,000 of them must fit the receive buffer.
        _ = setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &on, socklen_t(4))
    }

    deinit { nl_socket_free(sk) }

    /// Forces the buffers past `net.core.rmem_max` when allowed (CAP_NET_ADMIN), else asks for
    /// as much as the sysctl permits.
    private func sizeBuffers() {
        let fd = nl_socket_get_fd(sk)
        var size = Self.bufferSize
        let forced = setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(4)) == 0
            && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, socklen_t(4)) == 0
        if !forced { _ = nl_socket_set_buffer_size(sk, size, size) }
    }

    /// Sends one request and waits for its ACK.
    func execute(_ message: Message) throws(SocketFailure) {
        let reception = try exchange([message], decode: nil)
        if let errno = reception.errors.values.first { throw SocketFailure(errno: errno) }
    }

    /// Sends one GET request (not a dump) and returns the objects the kernel answered with.
    func query(_ message: Message) throws(SocketFailure) -> [Object] {
        var objects: [Object] = []
        let reception = try exchange([message]) { objects += Object.parsing($0) }
        if let errno = reception.errors.values.first { throw SocketFailure(errno: errno) }
        return objects
    }

    /// Sends `messages` in one datagram and waits for every ACK; returns each failed message's
    /// position with its errno. Throws only when the socket itself fails.
    func executeBatch(_ messages: [Message]) throws(SocketFailure) -> [(index: Int, errno: Int32)] {
        guard !messages.isEmpty else { return [] }
        let reception = try exchange(messages, decode: nil)
        let first = reception.firstSequence
        return reception.errors
            .map { (index: Int($0.key &- first), errno: $0.value) }
            .sorted { $0.index < $1.index }
    }

    /// Dumps every object of a kind as libnl parses it: `type` is an `RTM_GET*` message type,
    /// `header` its fixed header (its family selects what is dumped). Repeats the dump when the
    /// kernel interrupted it or messages were lost.
    func dump<Header>(type: Int32, header: Header) throws(SocketFailure) -> [Object] {
        try dump(type: type, header: header, decode: Object.parsing)
    }

    /// Dumps every object of a kind, each answer (`nl_msg`) turned into elements by `decode`
    /// (for kinds libnl cannot parse, or attributes it drops). Repeats as `dump(type:header:)`.
    func dump<Header, Element>(type: Int32, header: Header,
                               decode: @escaping (OpaquePointer) -> [Element]) throws(SocketFailure) -> [Element] {
        for attempt in 1...Self.dumpAttempts {
            if attempt > 1 { repeatedDumps += 1 }
            let message = try Message(type: type, flags: NLM_F_DUMP, header: header)
            var elements: [Element] = []
            do throws(SocketFailure) {
                let reception = try exchange([message]) { elements += decode($0) }
                if let errno = reception.errors.values.first { throw SocketFailure(errno: errno) }
                if !reception.interrupted { return elements }
            } catch where error.isRetryable && attempt < Self.dumpAttempts {
                continue  // the leftovers carry the old sequence number and will be skipped
            }
        }
        throw SocketFailure(errno: EINTR)
    }

    /// Completes the messages (port, sequence numbers, NLM_F_ACK on the last), sends them as one
    /// datagram and receives until the last has been answered by an ACK, an error or the end of
    /// its dump (the others' errors arrive before it).
    private func exchange(_ messages: [Message], decode: ((OpaquePointer) -> Void)?) throws(SocketFailure) -> Reception {
        var datagram: [UInt8] = []
        datagram.reserveCapacity(messages.count * 128)
        for (position, message) in messages.enumerated() {
            nl_complete_msg(sk, message.raw)
            let header = message.header
            // Only the last request asks for an ACK: the kernel answers the others only when
            // they fail, before the last one's answer. A batch of 256 writes is then one
            // datagram back, not 256.
            if position < messages.count - 1 { header.pointee.nlmsg_flags &= ~UInt16(NLM_F_ACK) }
            let length = Int(header.pointee.nlmsg_len)
            let aligned = (length + Int(NLMSG_ALIGNTO) - 1) & ~(Int(NLMSG_ALIGNTO) - 1)
            datagram.append(contentsOf: UnsafeRawBufferPointer(start: header, count: length))
            datagram.append(contentsOf: repeatElement(0, count: aligned - length))
        }
        let first = messages[0].header.pointee.nlmsg_seq
        let reception = Reception(firstSequence: first, count: messages.count, decode: decode)
        let sent = datagram.withUnsafeMutableBytes { nl_sendto(sk, $0.baseAddress, $0.count) }
        guard sent >= 0 else { throw SocketFailure(errno: errnoFromLibnl(sent)) }
        try reception.receive(from: sk)
        return reception
    }
}

extension SocketFailure {
    /// A dump failing this way is worth repeating: it was interrupted or lost messages.
    var isRetryable: Bool { [EINTR, ENOBUFS, ENOMEM, EAGAIN].contains(errno) }
}
