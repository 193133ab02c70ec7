#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.0 GET to the agent on this node, over a plain TCP socket: all cnictl asks of HTTP.
/// An HTTP client library (NIO, TLS, crypto) would triple cnictl's size for a request to
/// loopback. The agent's status server answers with a Content-Length and closes the connection.
struct LocalHTTPGet {
    /// `HOST:PORT` with a numeric host (`127.0.0.1:9469`, `[::1]:9469`), as node.json names it.
    let address: String
    /// Bounds connecting, sending and each read.
    let timeoutSeconds: Int

    /// Why the GET failed: what was attempted and the errno's text, or what the answer lacked.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The status code and body of `GET path`. Throws `Failure`.
    func callAsFunction(_ path: String) throws(Failure) -> (status: Int, body: [UInt8]) {
        let socket = try connect()
        defer { close(socket) }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(address)\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            throw failure("send")
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count == 0 { break }
            guard count > 0 else {
                if errno == EINTR { continue }
                throw failure("recv")
            }
            response += buffer[..<count]
        }
        return try Self.parse(response)
    }

    /// Status and body of a complete HTTP/1.x response.
    static func parse(_ response: [UInt8]) throws(Failure) -> (status: Int, body: [UInt8]) {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = response.indices.first(where: { response[$0...].starts(with: separator) }) else {
            throw Failure(description: "the answer has no complete header")
        }
        let head = String(decoding: response[..<end], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n", maxSplits: 1).first ?? ""
        let fields = statusLine.split(separator: " ")
        guard fields.count >= 2, fields[0].hasPrefix("HTTP/1."), let status = Int(fields[1]) else {
            throw Failure(description: "not an HTTP answer: \(statusLine)")
        }
        return (status, Array(response[(end + separator.count)...]))
    }

    private func connect() throws(Failure) -> Int32 {
        guard let colon = address.lastIndex(of: ":") else { throw Failure(description: "\(address) has no port") }
        let host = address[..<colon].trimmingPrefix("[").split(separator: "]").first.map(String.init) ?? ""
        let port = String(address[address.index(after: colon)...])
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, port, &hints, &list) == 0, let info = list else {
            throw Failure(description: "\(address) is not a numeric HOST:PORT")
        }
        defer { freeaddrinfo(list) }
        let socket = Glibc.socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw failure("socket") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            setsockopt(socket, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        guard Glibc.connect(socket, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let failed = failure("connect")
            close(socket)
            throw failed
        }
        return socket
    }

    private func failure(_ call: String) -> Failure {
        Failure(description: "\(call): \(String(cString: strerror(errno)))")
    }
}
