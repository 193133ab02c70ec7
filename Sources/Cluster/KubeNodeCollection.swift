import Logging
import NetworkModel

/// The API server's Node objects as a collection of the list/watch engine: cursor = the
/// resourceVersion; 410 Gone (as a status or an ERROR event) means the watch expired. A Node
/// without a slice (`spec.podCIDRs` not assigned yet) or an address counts as absent until an
/// update gives it both.
///
/// Lists ask for `resourceVersion=0`, so that a fleet of agents listing again after an API
/// server restart is served from the server's watch cache rather than from etcd; the watch
/// that follows starts from the list's resourceVersion, so nothing is missed. Watches ask for
/// bookmarks and end after a `timeoutSeconds` drawn from `watchTimeout` (randomised, as
/// client-go does, so agents do not reconnect in lockstep).
struct KubeNodeCollection: ListWatchAdapter {
    let client: KubeClient
    let pageSize: Int
    let watchTimeout: ClosedRange<Int>
    let logger: Logger

    var resource: String { "nodes" }

    func list() async throws -> Listing<ClusterNode, String> {
        let listed = try await client.listNodes(pageSize: pageSize, resourceVersion: "0")
        return Listing(objects: listed.items.compactMap(translate), cursor: listed.resourceVersion)
    }

    func watch(from resourceVersion: String) async throws -> Session {
        Session(watch: try await client.watchNodes(from: resourceVersion, timeoutSeconds: .random(in: watchTimeout)),
                collection: self)
    }

    func isExpired(_ error: any Error) -> Bool {
        if case KubeError.gone = error { return true }
        return false
    }

    fileprivate func translate(_ node: KubeNode) -> (key: String, value: ClusterNode?)? {
        guard let name = node.metadata.name else { return nil }
        let member = node.clusterNode
        if member == nil {
            logger.debug("leaving out a node without spec.podCIDRs or an address (yet)", metadata: ["node": "\(name)"])
        }
        return (name, member)
    }

    /// An established watch on Nodes.
    struct Session: WatchSession {
        var watch: KubeNodeWatch
        let collection: KubeNodeCollection

        mutating func next() async throws -> WatchBatch<ClusterNode, String>? {
            guard let event = try await watch.next() else { return nil }
            switch event {
            case .added(let node), .modified(let node):
                return WatchBatch(changes: collection.translate(node).map { [$0] } ?? [], cursor: node.metadata.resourceVersion)
            case .deleted(let node):
                return WatchBatch(changes: node.metadata.name.map { [($0, nil)] } ?? [], cursor: node.metadata.resourceVersion)
            case .bookmark(let version):
                return WatchBatch(changes: [], cursor: version)
            case .error(let status) where status.code == 410:
                throw KubeError.gone(resource: "nodes", message: status.message ?? "")
            case .error(let status):
                throw KubeError.serverError(verb: "watch", resource: "nodes", code: status.code ?? 500,
                                            reason: status.reason ?? "", message: status.message ?? "")
            }
        }
    }
}
