import Logging

/// `EtcdNodeSource.watchNodes()`'s loop: list the node keys (complete) → yield `.nodes`, then
/// watch from the list's revision + 1 and yield the complete set after each batch of changes.
///
/// - Compaction (the resume revision is gone): list again at once.
/// - Disconnect or an unreachable etcd: yield `.unavailable`, back off (jittered, capped) and
///   resume from the last revision + 1; the first batch of a re-established watch yields the set
///   again, so the consumer learns that the source has recovered.
/// - Never a partial set: the set is replaced only by a complete list, and changed only by the
///   events of a watch that started right after what it already reflects.
struct NodeWatchLoop: Sendable {
    let client: EtcdClient
    let retry: RetryPolicy
    let logger: Logger

    /// Runs until the task is cancelled, passing every event to `yield`.
    func run(_ yield: (NodeSourceEvent) -> Void) async {
        var set = NodeSet()
        var revision: Int64?
        var backoff = Backoff(retry)
        var recovering = false
        while !Task.isCancelled {
            do {
                let resumeFrom: Int64
                if let revision {
                    resumeFrom = revision
                } else {
                    let listed = try await client.range(.prefix(EtcdKeys.nodesPrefix))
                    warn(skipped: set.replace(with: listed.kvs))
                    revision = listed.revision
                    resumeFrom = listed.revision
                    yield(.nodes(set.nodes))
                    recovering = false
                }
                for try await batch in client.watch(.prefix(EtcdKeys.nodesPrefix), fromRevision: resumeFrom + 1) {
                    backoff.reset()
                    revision = batch.revision
                    guard !batch.events.isEmpty || recovering else { continue }
                    warn(skipped: set.apply(batch.events))
                    yield(.nodes(set.nodes))
                    recovering = false
                }
            } catch EtcdError.compacted(_, let compactRevision) {
                logger.info("etcd compacted past the watch; listing again",
                            metadata: ["resumeRevision": "\((revision ?? 0) + 1)", "compactRevision": "\(compactRevision)"])
                revision = nil
            } catch {
                if Task.isCancelled || error is CancellationError { return }
                logger.warning("etcd unavailable; keeping the last node set", metadata: ["error": "\(error)"])
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

    private func warn(skipped keys: [String]) {
        for key in keys {
            logger.warning("skipping a node record that does not parse", metadata: ["key": "\(key)"])
        }
    }
}
