extension KubeClient {
    /// A complete list of nodes and the resourceVersion of its snapshot (watch from there).
    struct NodeListing: Sendable {
        var items: [KubeNode]
        var resourceVersion: String
    }

    /// `GET /api/v1/nodes/NAME`. Throws `KubeError` (`.notFound` when there is no such node).
    func node(named name: String) async throws -> KubeNode {
        try await call(.GET, "/api/v1/nodes/\(name)", action: Action(verb: "get", resource: "nodes", name: name))
    }

    /// Every node, in pages of `pageSize` (`limit`, then `continue` until the server sets none):
    /// all pages come from one snapshot, whose resourceVersion is returned. `resourceVersion`
    /// "0" lets the server answer from its watch cache (which may serve it in one page); nil
    /// asks for the newest data. Throws `KubeError.gone` when the continue token expired
    /// mid-way (list again from the start).
    func listNodes(pageSize: Int, resourceVersion: String? = nil) async throws -> NodeListing {
        var items: [KubeNode] = []
        var next: String?
        let action = Action(verb: "list", resource: "nodes")
        repeat {
            var query = [("limit", "\(pageSize)")]
            if let next {
                query.append(("continue", next))
            } else if let resourceVersion {
                query.append(("resourceVersion", resourceVersion))
            }
            let page = try await call(.GET, "/api/v1/nodes", query: query, action: action, as: KubeNodeList.self)
            items += page.items
            next = page.metadata.continue.flatMap { $0.isEmpty ? nil : $0 }
            if next == nil {
                guard let version = page.metadata.resourceVersion, !version.isEmpty else {
                    throw KubeError.malformedResponse(verb: "list", resource: "nodes", detail: "a list without a resourceVersion")
                }
                return NodeListing(items: items, resourceVersion: version)
            }
        } while true
    }

    /// `PATCH /api/v1/nodes/NAME` with a JSON merge patch; returns the node as patched.
    func mergePatchNode(named name: String, _ patch: [UInt8]) async throws -> KubeNode {
        try await call(.PATCH, "/api/v1/nodes/\(name)", body: patch, contentType: "application/merge-patch+json",
                       action: Action(verb: "patch", resource: "nodes", name: name))
    }

    /// `PATCH /api/v1/nodes/NAME/status` with a strategic merge patch; returns the node.
    func strategicPatchNodeStatus(named name: String, _ patch: [UInt8]) async throws -> KubeNode {
        try await call(.PATCH, "/api/v1/nodes/\(name)/status", body: patch, contentType: "application/strategic-merge-patch+json",
                       action: Action(verb: "patch", resource: "nodes/status", name: name))
    }
}
