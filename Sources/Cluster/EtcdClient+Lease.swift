extension EtcdClient {
    /// Grants a lease of `ttl` seconds (`POST /v3/lease/grant`). etcd may raise a very short
    /// TTL to its minimum (about 2 s with default timing).
    public func grantLease(ttl: Int64) async throws -> EtcdLease {
        let response = try await call("lease/grant", WireLeaseRequest(ID: WireInt64(0), TTL: WireInt64(ttl)),
                                      key: nil, as: WireLeaseResponse.self)
        guard let id = response.ID?.value, id != 0 else {
            throw EtcdError.malformedResponse(endpoint: endpoints.joined(separator: ","), operation: "lease/grant",
                                              detail: response.error ?? "no lease ID")
        }
        return EtcdLease(id: id, ttl: response.TTL?.value ?? ttl)
    }

    /// Refreshes a lease to its full TTL (one round of `POST /v3/lease/keepalive`) and returns
    /// it. Throws `.leaseNotFound` when it expired or was revoked (the gateway then answers
    /// without a TTL).
    @discardableResult
    public func keepAlive(lease id: Int64) async throws -> EtcdLease {
        let response = try await call("lease/keepalive", WireLeaseRequest(ID: WireInt64(id)),
                                      key: nil, as: WireKeepAliveResponse.self)
        guard let ttl = response.result?.TTL?.value, ttl > 0 else { throw EtcdError.leaseNotFound(id: id) }
        return EtcdLease(id: id, ttl: ttl)
    }

    /// The seconds a lease has left (`POST /v3/lease/timetolive`), or nil when it does not exist
    /// (expired or revoked).
    public func timeToLive(lease id: Int64) async throws -> Int64? {
        let response = try await call("lease/timetolive", WireLeaseRequest(ID: WireInt64(id)),
                                      key: nil, as: WireLeaseResponse.self)
        guard let ttl = response.TTL?.value, ttl > 0 else { return nil }
        return ttl
    }

    /// Revokes a lease, deleting every key attached to it (`POST /v3/lease/revoke`). Returns
    /// false when the lease did not exist.
    @discardableResult
    public func revokeLease(_ id: Int64) async throws -> Bool {
        do {
            _ = try await call("lease/revoke", WireLeaseRequest(ID: WireInt64(id)), key: nil, as: WireHeaderOnly.self)
            return true
        } catch EtcdError.requestRejected(_, _, _, _, let code, _) where code == grpcNotFound {
            return false
        }
    }
}

/// gRPC's NOT_FOUND, which the gateway reports for a lease that does not exist.
let grpcNotFound = 5
