import FoundationEssentials
import Synchronization

/// The bearer token for the next request. A token file (a pod's projected service-account token,
/// which kubelet rewrites before it expires) is re-read when the copy in memory is older than
/// `refreshInterval`, and at once after the API server answered 401 (`invalidate()`), so a
/// rotated token is picked up without restarting the agent.
final class KubeTokenSource: Sendable {
    let credential: KubeCredential
    let refreshInterval: Duration
    private let cached = Mutex<(token: String, readAt: ContinuousClock.Instant)?>(nil)

    init(credential: KubeCredential, refreshInterval: Duration = .seconds(60)) {
        self.credential = credential
        self.refreshInterval = refreshInterval
    }

    /// True when `invalidate()` and a retry can help: the token comes from a file.
    var canRefresh: Bool {
        if case .tokenFile = credential { return true }
        return false
    }

    /// The token to send, nil when the credential is not a token. Throws
    /// `KubeError.unreadableFile` when the token file cannot be read.
    func token() throws(KubeError) -> String? {
        switch credential {
        case .none, .clientCertificate:
            return nil
        case .token(let token):
            return token
        case .tokenFile(let path):
            let now = ContinuousClock.now
            if let cached = cached.withLock({ $0 }), now - cached.readAt < refreshInterval {
                return cached.token
            }
            let text = String(decoding: try readFile(path), as: UTF8.self)
            let token = String(text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
            cached.withLock { $0 = (token, now) }
            return token
        }
    }

    /// Forgets the token read last: the next request reads the file again.
    func invalidate() {
        cached.withLock { $0 = nil }
    }
}
