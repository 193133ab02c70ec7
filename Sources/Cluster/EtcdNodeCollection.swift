import Logging
import NetworkModel

/// The node keys in etcd (`/trellis/v1/nodes/`) as a collection of the list/watch engine:
/// cursor = the store revision; a compacted revision means the watch expired. A record that
/// does not parse counts as absent (its node no longer says how to reach it) and is logged.
///
/// The list is read in pages of `pageSize` keys at one revision and translated page by page, so
/// the raw records of a large cluster are never held all at once; every page but the last is
/// passed on as it arrives.
struct EtcdNodeCollection: ListWatchAdapter {
    let client: EtcdClient
    /// 1,000: with pages written as they arrive, fewer round trips through etcd's gateway beat
    /// an earlier first page (20,000 peers: 0.79 s against 0.93 s with 500); 2,000 was no
    /// faster and took the agent to 31.9 MiB at 5,000 peers (Docs/benchmarks.md).
    var pageSize = 1000
    let logger: Logger

    var resource: String { "nodes" }

    func list(page: ([(key: String, value: ClusterNode?)]) -> Void) async throws -> Listing<ClusterNode, Int64> {
        var objects: [(key: String, value: ClusterNode?)] = []
        let revision = try await client.range(.prefix(EtcdKeys.nodesPrefix), pageSize: pageSize) { kvs, isLast in
            let translated = kvs.compactMap(translate)
            if !isLast { page(translated) }
            objects += translated
        }
        return Listing(objects: objects, cursor: revision)
    }

    func watch(from revision: Int64) async throws -> Session {
        var iterator = client.watch(.prefix(EtcdKeys.nodesPrefix), fromRevision: revision + 1).makeAsyncIterator()
        // The first result confirms the watch is established; it carries no events.
        _ = try await iterator.next()
        return Session(iterator: iterator, collection: self)
    }

    func isExpired(_ error: any Error) -> Bool {
        if case EtcdError.compacted = error { return true }
        return false
    }

    /// The node a key holds; nil for a key outside the node keys.
    fileprivate func translate(_ kv: EtcdKeyValue) -> (key: String, value: ClusterNode?)? {
        guard let name = EtcdKeys.nodeName(fromKey: kv.key) else { return nil }
        guard let record = try? EtcdNodeRecord(bytes: kv.value), let node = record.node(named: name) else {
            logger.warning("leaving out a node record that does not parse", metadata: ["key": "\(kv.key)"])
            return (name, nil)
        }
        return (name, node)
    }

    /// An established etcd watch on the node keys.
    struct Session: WatchSession {
        var iterator: EtcdWatch.Iterator
        let collection: EtcdNodeCollection

        mutating func next() async throws -> WatchBatch<ClusterNode, Int64>? {
            guard let batch = try await iterator.next() else { return nil }
            let changes = batch.events.compactMap { event -> (key: String, value: ClusterNode?)? in
                switch event.kind {
                case .put: collection.translate(event.kv)
                case .delete: EtcdKeys.nodeName(fromKey: event.kv.key).map { ($0, nil) }
                }
            }
            return WatchBatch(changes: changes, cursor: batch.revision)
        }
    }
}
