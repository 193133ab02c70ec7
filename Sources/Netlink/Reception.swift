import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// The answers to one datagram of requests with consecutive sequence numbers, collected by
/// libnl callbacks: each answer handed to a decoder, each request's errno, and whether a dump
/// was interrupted.
final class Reception {
    let firstSequence: UInt32
    private let lastSequence: UInt32
    /// True until the last request is answered by an ACK, an error or NLMSG_DONE: only the
    /// last asks for an ACK (the kernel answers the others only when they fail, in order).
    private var pending = true
    /// Called with every answer (`nl_msg`) that is not an ACK or error; `nil` ignores them.
    private let decode: ((OpaquePointer) -> Void)?
    /// The kernel's errno per failed request, by sequence number.
    private(set) var errors: [UInt32: Int32] = [:]
    private(set) var interrupted = false

    init(firstSequence: UInt32, count: Int, decode: ((OpaquePointer) -> Void)?) {
        self.firstSequence = firstSequence
        self.lastSequence = firstSequence &+ UInt32(count - 1)
        self.decode = decode
    }

    /// Reads from `sk` until every request has been answered.
    func receive(from sk: OpaquePointer) throws(SocketFailure) {
        guard let cb = nl_cb_alloc(NL_CB_DEFAULT) else { throw SocketFailure(errno: ENOMEM) }
        defer { nl_cb_put(cb) }
        let context = Unmanaged.passUnretained(self).toOpaque()
        nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, { message, context in
            Reception.from(context).isOurs(nlmsg_hdr(message)!.pointee.nlmsg_seq) ? Reception.ok : Reception.skip
        }, context)
        nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, { message, context in
            Reception.from(context).parse(message!)
        }, context)
        nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, { message, context in
            Reception.from(context).answered(nlmsg_hdr(message)!.pointee.nlmsg_seq)
        }, context)
        nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, { message, context in
            Reception.from(context).finished(nlmsg_hdr(message)!)
        }, context)
        nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, { _, context in
            Reception.from(context).interrupted = true
            return Reception.ok
        }, context)
        nl_cb_err(cb, NL_CB_CUSTOM, { _, error, context in
            Reception.from(context).failed(error!.pointee)
        }, context)
        while pending {
            let code = withExtendedLifetime(self) { nl_recvmsgs_report(sk, cb) }
            if code < 0 { throw SocketFailure(errno: errnoFromLibnl(code)) }
            if code == 0 { throw SocketFailure(errno: EPROTO) }
        }
    }

    private static let ok = Int32(NL_OK.rawValue)
    private static let skip = Int32(NL_SKIP.rawValue)
    private static let stop = Int32(NL_STOP.rawValue)

    private static func from(_ context: UnsafeMutableRawPointer?) -> Reception {
        Unmanaged<Reception>.fromOpaque(context!).takeUnretainedValue()
    }

    private func isOurs(_ sequence: UInt32) -> Bool {
        sequence &- firstSequence <= lastSequence &- firstSequence
    }

    private func parse(_ message: OpaquePointer) -> Int32 {
        decode?(message)
        return Reception.ok
    }

    private func answered(_ sequence: UInt32) -> Int32 {
        guard sequence == lastSequence else { return Reception.ok }
        pending = false
        return Reception.stop
    }

    /// NLMSG_DONE ends a dump; its payload, when present, is the dump's error (negative errno).
    private func finished(_ header: UnsafeMutablePointer<nlmsghdr>) -> Int32 {
        if header.pointee.nlmsg_len >= UInt32(MemoryLayout<nlmsghdr>.size + 4) {
            let status = UnsafeRawPointer(header).load(fromByteOffset: MemoryLayout<nlmsghdr>.size, as: Int32.self)
            if status < 0 { errors[header.pointee.nlmsg_seq] = -status }
        }
        return answered(header.pointee.nlmsg_seq)
    }

    private func failed(_ error: nlmsgerr) -> Int32 {
        errors[error.msg.nlmsg_seq] = -error.error
        _ = answered(error.msg.nlmsg_seq)
        return Reception.skip
    }
}
