@testable import Cluster
import Foundation

/// The test server's controls for any kind of object (Namespaces, Pods, NetworkPolicies, Nodes):
/// writes go through the same defaulting as the API's own writes.
extension KubeTestServer {
    /// Creates or replaces `object` (its `kind` says which resource) and returns it as stored.
    @discardableResult
    func put(object: [String: Any]) async throws -> [String: Any] {
        try await control("put", object) as? [String: Any] ?? [:]
    }

    /// Deletes the object of `kind` named `name` (in `namespace` when namespaced).
    func delete(kind: String, namespace: String? = nil, name: String) async throws {
        try await control("delete", ["kind": kind, "name": name].merging(namespace.map { ["namespace": $0] } ?? [:]) { $1 })
    }

    /// The object of `kind` named `name` as the server holds it.
    func object(kind: String, namespace: String? = nil, name: String) async throws -> [String: Any] {
        let body = ["kind": kind, "name": name].merging(namespace.map { ["namespace": $0] } ?? [:]) { $1 }
        return try await control("get", body) as? [String: Any] ?? [:]
    }
}
