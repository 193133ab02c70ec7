import FoundationEssentials

// The etcd v3 JSON gateway's messages (grpc-gateway's protobuf-to-JSON mapping), internal to
// the client. Why they look odd: property names are the JSON field names (`create_revision`,
// `TTL`); int64 fields travel as JSON strings; keys and values are base64; proto3 omits every
// field that holds its default (0, false, empty, PUT), so nearly everything is optional here.

/// An int64 as the gateway writes it: a JSON string ("42"), though a number is accepted too.
struct WireInt64: Codable, Hashable {
    var value: Int64

    init(_ value: Int64) { self.value = value }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // The string first: it is what the gateway sends, and a failed decode is a thrown error
        // (three per key of a 20,000-key range).
        if let text = try? container.decode(String.self) {
            guard let number = Int64(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "not an int64: \(text)"))
            }
            value = number
            return
        }
        value = try container.decode(Int64.self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }
}

/// Bytes as base64 text, the gateway's form of keys and values.
struct WireBytes: Codable, Hashable {
    var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(_ text: String) { bytes = Array(text.utf8) }

    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let data = Data(base64Encoded: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not base64: \(text.prefix(40))"))
        }
        bytes = Array(data)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Data(bytes).base64EncodedString())
    }
}

struct WireHeader: Decodable {
    var revision: WireInt64?
}

struct WireKeyValue: Decodable {
    var key: WireBytes
    var value: WireBytes?
    var create_revision: WireInt64?
    var mod_revision: WireInt64?
    var lease: WireInt64?
}

struct WireRangeRequest: Encodable {
    var key: WireBytes
    var range_end: WireBytes?
    var revision: WireInt64?
    var limit: WireInt64?
    /// Only the keys and their metadata, no values.
    var keys_only: Bool?
    /// Only how many keys there are.
    var count_only: Bool?
}

struct WireRangeResponse: Decodable {
    var header: WireHeader?
    var kvs: [WireKeyValue]?
    /// True when `limit` cut the answer short.
    var more: Bool?
    /// How many keys the range holds (also when `limit` or `count_only` left them out).
    var count: WireInt64?
}

struct WirePutRequest: Encodable {
    var key: WireBytes
    var value: WireBytes
    var lease: WireInt64?
}

struct WireHeaderOnly: Decodable {
    var header: WireHeader?
}

struct WireDeleteRequest: Encodable {
    var key: WireBytes
    var range_end: WireBytes?
}

struct WireDeleteResponse: Decodable {
    var header: WireHeader?
    var deleted: WireInt64?
}

struct WireCompare: Encodable {
    var key: WireBytes
    /// `CREATE` or `MOD`.
    var target: String
    /// Always `EQUAL`.
    var result: String
    var create_revision: WireInt64?
    var mod_revision: WireInt64?
}

struct WireRequestOp: Encodable {
    var request_put: WirePutRequest?
    var request_range: WireRangeRequest?
}

struct WireTxnRequest: Encodable {
    var compare: [WireCompare]
    var success: [WireRequestOp]
    var failure: [WireRequestOp]
}

struct WireResponseOp: Decodable {
    var response_range: WireRangeResponse?
}

struct WireTxnResponse: Decodable {
    var header: WireHeader?
    var succeeded: Bool?
    var responses: [WireResponseOp]?
}

struct WireLeaseRequest: Encodable {
    var ID: WireInt64
    var TTL: WireInt64?
}

struct WireLeaseResponse: Decodable {
    var ID: WireInt64?
    var TTL: WireInt64?
    var error: String?
}

/// `lease/keepalive` is a stream in gRPC; the gateway wraps each answer in `result`.
struct WireKeepAliveResponse: Decodable {
    var result: WireLeaseResponse?
}

struct WireWatchCreate: Encodable {
    var key: WireBytes
    var range_end: WireBytes?
    var start_revision: WireInt64
    var progress_notify: Bool
}

struct WireWatchRequest: Encodable {
    var create_request: WireWatchCreate
}

struct WireEvent: Decodable {
    /// Absent for PUT (proto3's default), `DELETE` for deletions.
    var type: String?
    var kv: WireKeyValue
}

struct WireWatchResult: Decodable {
    var header: WireHeader?
    var created: Bool?
    var canceled: Bool?
    var compact_revision: WireInt64?
    var cancel_reason: String?
    var events: [WireEvent]?
}

/// One object of the watch stream: a result, or an error the gateway reports mid-stream.
struct WireWatchMessage: Decodable {
    var result: WireWatchResult?
    var error: WireStreamError?
}

struct WireStreamError: Decodable {
    var grpc_code: Int?
    var http_code: Int?
    var message: String?
}

/// The body of a gateway error (any non-2xx answer).
struct WireErrorBody: Decodable {
    var error: String?
    var message: String?
    var code: Int?
}
