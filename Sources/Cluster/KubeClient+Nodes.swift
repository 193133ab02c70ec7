extension KubeClient {
    /// `GET /api/v1/nodes/NAME`. Throws `KubeError` (`.notFound` when there is no such node).
    func node(named name: String) async throws -> KubeNode {
        try await call(.GET, "/api/v1/nodes/\(name)", action: Action(verb: "get", resource: "nodes", name: name))
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
