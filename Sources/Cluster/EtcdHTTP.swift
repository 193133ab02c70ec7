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

    /// Watches: many may stay open to one endpoint at once. A watch is silent while nothing
    /// changes, except for the progress notification etcd sends every 10 minutes (its default
    /// `--experimental-watch-progress-notify-interval`); a stream silent for 15 minutes is taken
    /// for a connection that died without a FIN or RST (a partition) and ends as `.timedOut`,
    /// so the watch is resumed instead of hanging for ever.
    static let streaming = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                      configuration: configuration(read: .minutes(15)))

    private static func configuration(read: TimeAmount) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(3), read: read)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return configuration
    }
}
