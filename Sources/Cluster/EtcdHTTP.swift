import AsyncHTTPClient
import NIOCore

/// The HTTP clients every `EtcdClient` shares, one per kind of request, made once and kept for
/// the life of the process (as `HTTPClient.shared` is), so no `EtcdClient` owns a client it would
/// have to shut down.
///
/// Both fail a connection attempt at once instead of retrying it (`retryConnectionEstablishment`
/// off): a refused connection must move the request on to the next endpoint, not use up its
/// timeout on the dead one.
enum EtcdHTTP {
    /// Largest answer accepted from a unary request (a range over thousands of nodes fits).
    static let maximumBodySize = 64 << 20

    /// Unary requests: a read that stalls for 30 s breaks the connection.
    static let unary = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                  configuration: configuration(read: .seconds(30)))

    /// Watches: a watch is silent for as long as nothing changes, so no read timeout; and many
    /// watches to one endpoint may stay open at once.
    static let streaming = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                      configuration: configuration(read: nil))

    private static func configuration(read: TimeAmount?) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(3), read: read)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return configuration
    }
}
