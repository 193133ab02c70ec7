extension EtcdClient {
    /// The keys `selector` covers, with the store's revision (`POST /v3/kv/range`).
    /// Throws `EtcdError` (`.allEndpointsFailed` when no endpoint answers).
    public func range(_ selector: EtcdKeySelector) async throws -> EtcdRangeResult {
        let request = WireRangeRequest(key: WireBytes(selector.key), range_end: selector.rangeEnd)
        let response = try await call("kv/range", request, key: selector.key, as: WireRangeResponse.self)
        return EtcdRangeResult(revision: response.header?.revision?.value ?? 0,
                               kvs: (response.kvs ?? []).map(EtcdKeyValue.init))
    }

    /// The names of the keys `selector` covers, without their values (`keys_only`): what a
    /// caller that only asks "which keys exist" needs, at a fraction of the bytes.
    public func keys(_ selector: EtcdKeySelector) async throws -> [String] {
        let request = WireRangeRequest(key: WireBytes(selector.key), range_end: selector.rangeEnd, keys_only: true)
        let response = try await call("kv/range", request, key: selector.key, as: WireRangeResponse.self)
        return (response.kvs ?? []).map { String(decoding: $0.key.bytes, as: UTF8.self) }
    }

    /// How many keys `selector` covers (`count_only`): etcd counts them without sending any.
    public func count(_ selector: EtcdKeySelector) async throws -> Int64 {
        let request = WireRangeRequest(key: WireBytes(selector.key), range_end: selector.rangeEnd, count_only: true)
        let response = try await call("kv/range", request, key: selector.key, as: WireRangeResponse.self)
        return response.count?.value ?? 0
    }

    /// The keys `selector` covers, in pages of at most `pageSize` keys handed to `page` one at a
    /// time with whether it is the last (so a large range is decoded as it arrives, never held
    /// whole), all read at the revision of the first page: one consistent snapshot, which the
    /// returned revision names.
    /// The next page is already being fetched while `page` handles one. Throws `EtcdError` (also
    /// when that revision is compacted between pages: list again) or what `page` throws.
    public func range(_ selector: EtcdKeySelector, pageSize: Int,
                      _ page: ([EtcdKeyValue], _ isLast: Bool) async throws -> Void) async throws -> Int64 {
        func fetch(from start: WireBytes, at revision: Int64?) async throws -> WireRangeResponse {
            let request = WireRangeRequest(key: start, range_end: selector.rangeEnd, revision: revision.map(WireInt64.init),
                                           limit: WireInt64(Int64(pageSize)))
            return try await call("kv/range", request, key: selector.key, as: WireRangeResponse.self)
        }
        var response = try await fetch(from: WireBytes(selector.key), at: nil)
        let snapshot = response.header?.revision?.value ?? 0
        while true {
            let kvs = response.kvs ?? []
            guard response.more == true, let last = kvs.last else {
                try await page(kvs.map(EtcdKeyValue.init), true)
                return snapshot
            }
            let nextStart = WireBytes(last.key.bytes + [0])
            async let next = fetch(from: nextStart, at: snapshot)
            try await page(kvs.map(EtcdKeyValue.init), false)
            response = try await next
        }
    }

    /// Writes `put.key` unconditionally, attached to `put.lease` if not 0 (`POST /v3/kv/put`);
    /// returns the store's revision after the write. A lease that does not exist is
    /// `.requestRejected` with gRPC code 5.
    @discardableResult
    public func put(_ put: EtcdPut) async throws -> Int64 {
        let response = try await call("kv/put", put.wire, key: put.key, as: WireHeaderOnly.self)
        return response.header?.revision?.value ?? 0
    }

    /// Deletes the keys `selector` covers (`POST /v3/kv/deleterange`); returns how many existed.
    @discardableResult
    public func delete(_ selector: EtcdKeySelector) async throws -> Int64 {
        let request = WireDeleteRequest(key: WireBytes(selector.key), range_end: selector.rangeEnd)
        let response = try await call("kv/deleterange", request, key: selector.key, as: WireDeleteResponse.self)
        return response.deleted?.value ?? 0
    }

    /// Applies every put atomically if every condition holds (`POST /v3/kv/txn`). When a
    /// condition fails nothing is written and the result carries each condition's key as it
    /// stands now, read in the same transaction.
    public func transaction(if conditions: [EtcdCondition], then puts: [EtcdPut]) async throws -> EtcdTransactionResult {
        let request = WireTxnRequest(
            compare: conditions.map(\.wire),
            success: puts.map { WireRequestOp(request_put: $0.wire) },
            failure: conditions.map { WireRequestOp(request_range: WireRangeRequest(key: WireBytes($0.key))) })
        let response = try await call("kv/txn", request, key: conditions.first?.key, as: WireTxnResponse.self)
        let revision = response.header?.revision?.value ?? 0
        if response.succeeded == true {
            return EtcdTransactionResult(succeeded: true, revision: revision)
        }
        let found = (response.responses ?? []).flatMap { $0.response_range?.kvs ?? [] }.map(EtcdKeyValue.init)
        return EtcdTransactionResult(succeeded: false, revision: revision,
                                     current: Dictionary(found.map { ($0.key, $0) }, uniquingKeysWith: { $1 }))
    }

    /// Creates `put.key` only if it does not exist (compare `create_revision == 0`, then put).
    /// Returns true when this call created it, false when the key already existed.
    public func createIfAbsent(_ put: EtcdPut) async throws -> Bool {
        try await transaction(if: [.absent(put.key)], then: [put]).succeeded
    }
}
