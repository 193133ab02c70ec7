import Logging

/// `KubernetesNodeSource.watchNodes()`'s loop, the reflector pattern of client-go: list the
/// nodes (complete, paged) → yield `.nodes`, then watch from the list's resourceVersion with
/// bookmarks and yield the complete set after each event that changes it.
///
/// Why this is tricky:
/// - 410 Gone (as an HTTP status or, usually, as an ERROR event: the resourceVersion is older
///   than the API server's watch cache keeps) means events were lost: list again at once. Any
///   other ERROR event is treated the same, after a backoff.
/// - A broken stream (the connection dropped, even in the middle of an event) loses nothing:
///   the watch resumes from the resourceVersion of the last whole event, and the server replays
///   what came after. Until it is re-established the stream yields `.unavailable`, backs off
///   (jittered, capped), and on re-establishing yields the set again so the consumer knows the
///   source is back.
/// - The server ends every watch after `timeoutSeconds` (randomised, as client-go does, so that
///   agents do not reconnect in lockstep): that is no outage; resume at once.
/// - Never a partial set: the set is replaced only by a complete list, and changed only by the
///   events of a watch that started where the set's resourceVersion left off.
struct KubeNodeWatchLoop: Sendable {
    let client: KubeClient
    let retry: RetryPolicy
    let pageSize: Int
    let watchTimeout: ClosedRange<Int>
    let logger: Logger

    /// Runs until the task is cancelled, passing every event to `yield`.
    func run(_ yield: (NodeSourceEvent) -> Void) async {
        var set = KubeNodeSet()
        var resourceVersion: String?
        var backoff = Backoff(retry)
        var recovering = false
        while !Task.isCancelled {
            do {
                if resourceVersion == nil {
                    let listed = try await client.listNodes(pageSize: pageSize)
                    warn(skipped: set.replace(with: listed.items))
                    resourceVersion = listed.resourceVersion
                    yield(.nodes(set.nodes))
                    recovering = false
                }
                var watch = try await client.watchNodes(from: resourceVersion ?? "", timeoutSeconds: .random(in: watchTimeout))
                backoff.reset()
                if recovering {
                    yield(.nodes(set.nodes))
                    recovering = false
                }
                var quiet = true
                while let event = try await watch.next() {
                    quiet = false
                    switch event {
                    case .added(let node), .modified(let node), .deleted(let node):
                        resourceVersion = node.metadata.resourceVersion ?? resourceVersion
                    case .bookmark(let version):
                        resourceVersion = version
                    case .error(let status) where status.code == 410:
                        throw KubeError.gone(resource: "nodes", message: status.message ?? "")
                    case .error(let status):
                        resourceVersion = nil
                        throw KubeError.serverError(verb: "watch", resource: "nodes", code: status.code ?? 500,
                                                    reason: status.reason ?? "", message: status.message ?? "")
                    }
                    if set.apply(event) { yield(.nodes(set.nodes)) }
                }
                // Ended by the server: resume, but not in a tight loop if it ends every watch at once.
                if quiet { try await backoff.wait() }
            } catch KubeError.gone(_, let message) {
                logger.info("node watch expired (410 Gone); listing again",
                            metadata: ["resourceVersion": "\(resourceVersion ?? "")", "message": "\(message)"])
                resourceVersion = nil
            } catch {
                if Task.isCancelled || error is CancellationError { return }
                if let error = error as? KubeError, !error.isRetryable {
                    logger.error("the API server refuses the node watch; retrying", metadata: ["error": "\(error)"])
                } else {
                    logger.warning("API server unavailable; keeping the last node set", metadata: ["error": "\(error)"])
                }
                yield(.unavailable(reason: "\(error)"))
                recovering = true
                do {
                    try await backoff.wait()
                } catch {
                    return
                }
            }
        }
    }

    private func warn(skipped names: [String]) {
        for name in names {
            logger.info("leaving out a node without spec.podCIDRs or an address (yet)", metadata: ["node": "\(name)"])
        }
    }
}
