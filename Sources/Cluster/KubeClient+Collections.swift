import AsyncHTTPClient
import NIOCore

extension KubeClient {
    /// A complete list of a collection and the resourceVersion of its snapshot (watch from there).
    struct Listing<Object: KubeObject>: Sendable {
        var items: [Object]
        var resourceVersion: String
    }

    /// Every object of `resource`, in pages of `pageSize` (`limit`, then `continue` until the
    /// server sets none): all pages come from one snapshot, whose resourceVersion is returned.
    /// `resourceVersion` "0" lets the server answer from its watch cache (which may serve it in
    /// one page); nil asks for the newest data. Each page is decoded as it arrives. Throws
    /// `KubeError.gone` when the continue token expired mid-way (list again from the start).
    func list<Object>(_ resource: KubeResource<Object>, pageSize: Int, resourceVersion: String? = nil) async throws -> Listing<Object> {
        var items: [Object] = []
        var next: String?
        let action = Action(verb: "list", resource: resource.name)
        repeat {
            var query = [("limit", "\(pageSize)")]
            if let next {
                query.append(("continue", next))
            } else if let resourceVersion {
                query.append(("resourceVersion", resourceVersion))
            }
            let page = try await call(.GET, resource.path, query: query, action: action, as: KubeObjectList<Object>.self)
            items += page.items
            next = page.metadata.continue.flatMap { $0.isEmpty ? nil : $0 }
            if next == nil {
                guard let version = page.metadata.resourceVersion, !version.isEmpty else {
                    throw KubeError.malformedResponse(verb: "list", resource: resource.name, detail: "a list without a resourceVersion")
                }
                return Listing(items: items, resourceVersion: version)
            }
        } while true
    }

    /// Opens `GET PATH?watch=1&resourceVersion=RV&allowWatchBookmarks=true&timeoutSeconds=T`
    /// and returns once the API server has accepted it (answered 200): the watch is established.
    /// The server ends the stream after `timeoutSeconds`; a stream silent for longer than that
    /// plus a minute (a dead connection) ends as `.timedOut`. Throws `KubeError` (`.gone` when
    /// the server refuses `resourceVersion` with an HTTP 410 rather than an ERROR event).
    func watch<Object>(_ resource: KubeResource<Object>, from resourceVersion: String, timeoutSeconds: Int) async throws -> KubeWatch<Object> {
        let query = [("watch", "1"), ("resourceVersion", resourceVersion), ("allowWatchBookmarks", "true"),
                     ("timeoutSeconds", "\(timeoutSeconds)")]
        let response = try await send(.GET, resource.path, query: query, action: Action(verb: "watch", resource: resource.name),
                                      via: EtcdHTTP.streaming, deadline: .now() + .seconds(Int64(timeoutSeconds) + 60))
        return KubeWatch(client: self, resource: resource.name, body: response.body.makeAsyncIterator())
    }
}
