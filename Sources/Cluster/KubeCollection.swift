import Logging

/// One collection of the API server (Nodes, Pods, Namespaces, NetworkPolicies) as a collection
/// of the list/watch engine: key = `namespace/name` (or `name`), cursor = the resourceVersion;
/// 410 Gone (as a status or an ERROR event) means the watch expired. An object that
/// `translate` maps to nil counts as absent.
///
/// Lists ask for `resourceVersion=0`, so that a fleet of agents listing again after an API
/// server restart is served from the server's watch cache rather than from etcd; the watch
/// that follows starts from the list's resourceVersion, so nothing is missed. Watches ask for
/// bookmarks and end after a `timeoutSeconds` drawn from `watchTimeout` (randomised, as
/// client-go does, so agents do not reconnect in lockstep).
struct KubeCollection<Object: KubeObject, Value: Sendable & Equatable>: ListWatchAdapter {
    let client: KubeClient
    let kind: KubeResource<Object>
    let pageSize: Int
    let watchTimeout: ClosedRange<Int>
    let translate: @Sendable (Object) -> Value?

    var resource: String { kind.name }

    /// The list's pages are not passed on: a Kubernetes list is served from the API server's
    /// cache, quickly enough to be applied whole.
    func list(page _: ([(key: String, value: Value?)]) -> Void) async throws -> Listing<Value, String> {
        let listed = try await client.list(kind, pageSize: pageSize, resourceVersion: "0")
        return Listing(objects: listed.items.compactMap(entry), cursor: listed.resourceVersion)
    }

    func watch(from resourceVersion: String) async throws -> Session {
        Session(watch: try await client.watch(kind, from: resourceVersion, timeoutSeconds: .random(in: watchTimeout)),
                collection: self)
    }

    func isExpired(_ error: any Error) -> Bool {
        if case KubeError.gone = error { return true }
        return false
    }

    fileprivate func entry(_ object: Object) -> (key: String, value: Value?)? {
        object.collectionKey.map { ($0, translate(object)) }
    }

    /// An established watch.
    struct Session: WatchSession {
        var watch: KubeWatch<Object>
        let collection: KubeCollection

        mutating func next() async throws -> WatchBatch<Value, String>? {
            guard let event = try await watch.next() else { return nil }
            let name = collection.kind.name
            switch event {
            case .added(let object), .modified(let object):
                return WatchBatch(changes: collection.entry(object).map { [$0] } ?? [], cursor: object.objectResourceVersion)
            case .deleted(let object):
                return WatchBatch(changes: object.collectionKey.map { [($0, nil)] } ?? [], cursor: object.objectResourceVersion)
            case .bookmark(let version):
                return WatchBatch(changes: [], cursor: version)
            case .error(let status) where status.code == 410:
                throw KubeError.gone(resource: name, message: status.message ?? "")
            case .error(let status):
                throw KubeError.serverError(verb: "watch", resource: name, code: status.code ?? 500,
                                            reason: status.reason ?? "", message: status.message ?? "")
            }
        }
    }
}

extension KubeClient {
    /// The objects of `resource`, cluster-wide, as `translate` turns them into values, through
    /// the list/watch engine: a complete list first, then each change; outages are reported as
    /// `.unavailable` and retried with `retry`'s backoff. Iterating the stream runs it; dropping
    /// it stops it. Keys are `namespace/name` (or `name` for cluster-scoped objects); an object
    /// `translate` maps to nil counts as absent.
    public func events<Object, Value: Sendable & Equatable>(
        of resource: KubeResource<Object>, pageSize: Int = 500, watchTimeout: ClosedRange<Int> = 300...600,
        retry: RetryPolicy = RetryPolicy(), logger: Logger, translate: @escaping @Sendable (Object) -> Value?
    ) -> AsyncStream<CollectionEvent<Value>> {
        let collection = KubeCollection(client: self, kind: resource, pageSize: pageSize, watchTimeout: watchTimeout,
                                        translate: translate)
        return ListWatchEngine(adapter: collection, retry: retry, logger: logger).events()
    }
}
