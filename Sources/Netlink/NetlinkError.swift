import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// Every failure of the `Netlink` module. Each case names what was attempted in `ip`'s words and
/// carries the errno the kernel (or the system call) returned, so callers decide by `errno`
/// (or `isNotFound` / `isExists`), never by message text. libnl's own `NLE_*` codes are
/// translated to errno once, inside this module.
public enum NetlinkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A netlink request was refused: `operation` is e.g.
    /// `"route add 10.244.2.0/24 via 10.244.2.0 dev trellis.vxlan onlink"`, followed by
    /// `" in netns PATH"` when the handle was opened in another namespace.
    case request(operation: String, errno: Int32)
    /// Opening, entering or leaving the network namespace at `path` failed.
    case namespace(path: String, errno: Int32)
    /// Some requests of a batch failed (the others took effect): one `.request` per failed
    /// entry, in the batch's order. `operation` names the batch (`"route replace (2000 routes)"`).
    case batch(operation: String, failures: [NetlinkError])

    /// What was attempted: the operation, or the namespace path.
    public var operation: String {
        switch self {
        case .request(let operation, _), .batch(let operation, _): operation
        case .namespace(let path, _): "netns \(path)"
        }
    }

    /// The errno behind the failure (for a batch, the first failed entry's).
    public var errno: Int32 {
        switch self {
        case .request(_, let errno), .namespace(_, let errno): errno
        case .batch(_, let failures): failures.first?.errno ?? EIO
        }
    }

    /// True when the object does not exist: a missing device (`ENODEV`), route (`ESRCH`,
    /// `ENOENT`), neighbour or namespace (`ENOENT`), or address (`EADDRNOTAVAIL`).
    public var isNotFound: Bool { [ENODEV, ENOENT, ESRCH, EADDRNOTAVAIL].contains(errno) }

    /// True when the object already exists (`EEXIST`, "File exists").
    public var isExists: Bool { errno == EEXIST }

    /// `"<operation>: <strerror>"`, e.g. `"route 10.244.2.0/24 dev trellis.vxlan: File exists"`.
    public var description: String {
        switch self {
        case .batch(let operation, let failures):
            "\(operation): \(failures.count) failed: "
                + failures.prefix(5).map(\.description).joined(separator: "; ")
                + (failures.count > 5 ? "; ..." : "")
        case .request, .namespace:
            "\(operation): \(String(cString: strerror(errno)))"
        }
    }
}

/// Translates a (negative or positive) libnl `NLE_*` code to the errno it stands for. Kernel
/// errors never go through here: the socket captures the kernel's own errno from its ACK.
func errnoFromLibnl(_ code: Int32) -> Int32 {
    switch abs(code) {
    case NLE_NOMEM: ENOMEM
    case NLE_EXIST: EEXIST
    case NLE_NOADDR: EADDRNOTAVAIL
    case NLE_OBJ_NOTFOUND: ENOENT
    case NLE_INTR, NLE_DUMP_INTR: EINTR
    case NLE_AGAIN: EAGAIN
    case NLE_BAD_SOCK: EBADF
    case NLE_INVAL, NLE_MISSING_ATTR: EINVAL
    case NLE_NOACCESS: EACCES
    case NLE_PERM: EPERM
    case NLE_AF_NOSUPPORT: EAFNOSUPPORT
    case NLE_PROTO_MISMATCH: EPROTONOSUPPORT
    case NLE_OPNOTSUPP: EOPNOTSUPP
    case NLE_BUSY: EBUSY
    case NLE_RANGE: ERANGE
    case NLE_NODEV: ENODEV
    case NLE_MSGSIZE, NLE_MSG_TOOSHORT, NLE_MSG_TRUNC: EMSGSIZE
    case NLE_MSG_OVERFLOW: ENOBUFS
    case NLE_SEQ_MISMATCH: EPROTO
    default: EIO
    }
}
