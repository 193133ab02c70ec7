extension KubernetesNodeSource {
    /// `NodeSource.announceNetworkAvailable`: `markNetworkAvailable`, which patches
    /// `nodes/status` only when the condition does not already say so.
    public func announceNetworkAvailable(nodeName: String) async throws {
        try await markNetworkAvailable(nodeName: nodeName)
    }
}
