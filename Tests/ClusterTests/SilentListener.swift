import Glibc

/// A TCP port on 127.0.0.1 that accepts connections (the kernel completes them from the listen
/// backlog) but never answers: an endpoint that hangs instead of refusing. Closed on deinit.
final class SilentListener: Sendable {
    private let descriptor: Int32
    /// `http://127.0.0.1:PORT`.
    let endpoint: String

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(descriptor, raw, length) == 0 && listen(descriptor, 16) == 0 && getsockname(descriptor, raw, &length) == 0
            }
        }
        guard descriptor >= 0, ready else {
            let code = errno
            close(descriptor)
            throw ListenerError(errno: code)
        }
        self.descriptor = descriptor
        endpoint = "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
    }

    deinit {
        close(descriptor)
    }

    struct ListenerError: Error {
        let errno: Int32
    }
}
