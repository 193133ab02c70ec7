import NetworkModel
import FoundationEssentials
import Glibc

/// One allocated address and who holds it. On disk it is the file named by `address`, holding
/// `{"containerID","ifname","podNamespace","podName","netns","created"}` (`created` in ISO 8601).
public struct AllocationRecord: Hashable, Sendable {
    /// The allocated address (the record's file name).
    public var address: IPAddress
    /// The holder.
    public var attachment: AttachmentID
    /// The pod behind the holder.
    public var pod: PodMetadata
    /// When the address was allocated.
    public var created: Date

    /// Memberwise initialiser.
    public init(address: IPAddress, attachment: AttachmentID, pod: PodMetadata, created: Date) {
        self.address = address
        self.attachment = attachment
        self.pod = pod
        self.created = created
    }
}

/// An address file the store cannot read as a record. Its address stays taken (it is never
/// handed out again) until an operator releases it by address.
public struct CorruptRecord: Error, Hashable, Sendable, Codable {
    /// The address the file name claims.
    public var address: IPAddress
    /// The file's path.
    public var path: String
    /// Why it could not be read.
    public var reason: String

    /// Memberwise initialiser.
    public init(address: IPAddress, path: String, reason: String) {
        self.address = address
        self.path = path
        self.reason = reason
    }
}

/// The on-disk JSON form of a record (the address is the file name, so it is not repeated).
struct RecordFile: Codable {
    var containerID: String
    var ifname: String
    var podNamespace: String?
    var podName: String?
    var netns: String
    var created: Date

    init(_ record: AllocationRecord) {
        containerID = record.attachment.containerID
        ifname = record.attachment.ifname
        podNamespace = record.pod.namespace
        podName = record.pod.name
        netns = record.pod.netns
        created = record.created
    }

    func record(address: IPAddress) -> AllocationRecord {
        AllocationRecord(address: address, attachment: AttachmentID(containerID: containerID, ifname: ifname),
                         pod: PodMetadata(namespace: podNamespace, name: podName, netns: netns),
                         created: created)
    }

    static func encode(_ record: AllocationRecord) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(UTCTimestamp.string(from: date))
        }
        do { return Array(try encoder.encode(RecordFile(record))) } catch {
            throw IPAMError.encodingFailed(reason: "\(error)")
        }
    }

    /// The record in `bytes`, read from the file `path` of `address`, or why it is not one.
    static func decode(_ bytes: [UInt8], address: IPAddress, path: String) -> Result<AllocationRecord, CorruptRecord> {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            guard let date = UTCTimestamp.date(from: try container.decode(String.self)) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "created is not an ISO 8601 UTC time")
            }
            return date
        }
        do {
            return .success(try decoder.decode(RecordFile.self, from: Data(bytes)).record(address: address))
        } catch {
            let reason = bytes.isEmpty ? "empty file" : (error as? DecodingError)?.summary ?? "\(error)"
            return .failure(CorruptRecord(address: address, path: path, reason: reason))
        }
    }
}
