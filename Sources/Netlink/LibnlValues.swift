import CNetlink
import NetworkModel
#if canImport(Glibc)
import Glibc
#endif

// Owning wrappers for libnl's reference-counted objects and conversions between libnl's
// `nl_addr` and Trellis's value types. Nothing here leaves the module: every libnl pointer is
// owned by one of these classes (released in its deinit) or lent to a closure for its duration.
// Swift may release an object right after the last use of its reference, so `raw` is only used
// where the wrapper stays referenced (an array element, a capture of the closure that uses it).

/// One netlink message being built or sent; freed with `nlmsg_free`.
final class Message {
    let raw: OpaquePointer

    /// Takes ownership of the message a libnl `*_build_*_request` function fills in;
    /// throws the translated errno when the builder fails.
    init(building build: (UnsafeMutablePointer<OpaquePointer?>) -> Int32) throws(SocketFailure) {
        var message: OpaquePointer?
        let code = build(&message)
        guard code >= 0, let message else { throw SocketFailure(errno: errnoFromLibnl(code)) }
        raw = message
    }

    /// An empty request of netlink `type` with `flags`, followed by the fixed header `header`.
    init<Header>(type: Int32, flags: Int32, header: Header) throws(SocketFailure) {
        guard let message = nlmsg_alloc_simple(type, flags) else { throw SocketFailure(errno: ENOMEM) }
        raw = message
        var header = header
        let code = nlmsg_append(message, &header, MemoryLayout<Header>.size, Int32(NLMSG_ALIGNTO))
        guard code >= 0 else { throw SocketFailure(errno: errnoFromLibnl(code)) }
    }

    deinit { nlmsg_free(raw) }

    var header: UnsafeMutablePointer<nlmsghdr> { nlmsg_hdr(raw) }
}

/// A parsed libnl object (`rtnl_link`, `rtnl_route`, ...) holding one reference.
final class Object {
    let raw: OpaquePointer

    /// Takes over one reference the caller already holds.
    init(owning raw: OpaquePointer) { self.raw = raw }

    deinit { nl_object_put(raw) }

    /// The objects libnl parses out of a received `nl_msg` (none for kinds it does not know).
    static func parsing(_ message: OpaquePointer) -> [Object] {
        var objects: [Object] = []
        withUnsafeMutablePointer(to: &objects) { pointer in
            _ = nl_msg_parse(message, { object, context in
                guard let object, let context else { return }
                nl_object_get(object)
                context.assumingMemoryBound(to: [Object].self).pointee.append(Object(owning: object))
            }, pointer)
        }
        return objects
    }
}

/// Builds an `nl_addr` of `family` (AF_INET, AF_INET6, AF_LLC) from `bytes`, lends it to `body`
/// and releases it afterwards. libnl's setters take their own reference, so `body` may store it.
/// (A wrapper object would not do: Swift may release it right after reading its pointer.)
func withNLAddress<R>(family: Int32, bytes: [UInt8], prefixLength: Int? = nil,
                      _ body: (OpaquePointer) throws -> R) rethrows -> R {
    let address = bytes.withUnsafeBytes { nl_addr_build(family, $0.baseAddress, $0.count) }!
    defer { nl_addr_put(address) }
    if let prefixLength { nl_addr_set_prefixlen(address, Int32(prefixLength)) }
    return try body(address)
}

/// Lends an `nl_addr` holding `ip` (with `prefixLength` when given) to `body`.
func withNLAddress<R>(_ ip: IPAddress, prefixLength: Int? = nil, _ body: (OpaquePointer) throws -> R) rethrows -> R {
    try withNLAddress(family: ip.family.addressFamily, bytes: ip.bytes, prefixLength: prefixLength, body)
}

/// Lends an `nl_addr` holding `prefix`'s address and length to `body`.
func withNLAddress<R>(_ prefix: IPPrefix, _ body: (OpaquePointer) throws -> R) rethrows -> R {
    try withNLAddress(prefix.address, prefixLength: prefix.length, body)
}

/// Lends an `nl_addr` holding `mac` (AF_LLC) to `body`.
func withNLAddress<R>(_ mac: MACAddress, _ body: (OpaquePointer) throws -> R) rethrows -> R {
    try withNLAddress(family: AF_LLC, bytes: mac.bytes, body)
}

/// The bytes of an `nl_addr` libnl lends out (not retained); empty for `nil`.
func bytes(of address: OpaquePointer?) -> [UInt8] {
    guard let address, let base = nl_addr_get_binary_addr(address) else { return [] }
    return Array(UnsafeRawBufferPointer(start: base, count: Int(nl_addr_get_len(address))))
}

/// The IP address in a borrowed `nl_addr`, or `nil` when it is absent or not 4/16 bytes.
func ipAddress(of address: OpaquePointer?) -> IPAddress? {
    IPAddress(bytes: bytes(of: address))
}

/// The prefix (address and prefix length) in a borrowed `nl_addr`.
func ipPrefix(of address: OpaquePointer?) -> IPPrefix? {
    guard let address, let ip = ipAddress(of: address) else { return nil }
    return IPPrefix(address: ip, length: Int(nl_addr_get_prefixlen(address)))
}

/// The MAC address in a borrowed `nl_addr`, or `nil` when it is absent or not 6 bytes.
func macAddress(of address: OpaquePointer?) -> MACAddress? {
    MACAddress(bytes: bytes(of: address))
}

extension IPFamily {
    /// `AF_INET` or `AF_INET6`.
    var addressFamily: Int32 { self == .v4 ? AF_INET : AF_INET6 }

    /// The family of an `AF_*` value; `nil` for anything but AF_INET / AF_INET6.
    init?(addressFamily: Int32) {
        switch addressFamily {
        case AF_INET: self = .v4
        case AF_INET6: self = .v6
        default: return nil
        }
    }
}
