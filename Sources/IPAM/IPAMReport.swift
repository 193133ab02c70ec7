import NetworkModel
import FoundationEssentials
import Glibc

/// What `cnictl ipam show` shows about one network's store: the node's slices with used and free
/// counts, every allocation (flagged when outside the current slices), and corrupt records.
/// A value built from the store and `node.json`, rendered as a table (`table(now:)`) or as JSON
/// (it is `Codable`, dates in ISO 8601).
public struct IPAMReport: Codable, Hashable, Sendable {
    /// One slice of the node and how full it is.
    public struct Slice: Codable, Hashable, Sendable {
        /// The slice.
        public var prefix: IPPrefix
        /// Addresses the allocator may hand out (saturating at `UInt64.max`).
        public var usable: UInt64
        /// Addresses taken inside it, corrupt records included.
        public var used: Int
        /// `usable - used`.
        public var free: UInt64
    }

    /// One allocation, flattened for display.
    public struct Allocation: Codable, Hashable, Sendable {
        /// The allocated address.
        public var address: IPAddress
        /// The full container ID.
        public var containerID: String
        /// The interface in the container.
        public var ifname: String
        /// The pod's namespace, when recorded.
        public var podNamespace: String?
        /// The pod's name, when recorded.
        public var podName: String?
        /// The pod's network namespace path.
        public var netns: String
        /// When it was allocated.
        public var created: Date
        /// `false` when the address lies outside every current slice (a slice change left it
        /// behind); `nil` when the slices are unknown.
        public var inSlice: Bool?
    }

    /// The network name.
    public var network: String
    /// The store's directory.
    public var directory: String
    /// The node's name, from `node.json`.
    public var nodeName: String?
    /// The datapath mode, from `node.json`.
    public var mode: NodeInfo.Mode?
    /// Why the slices are unknown (`node.json` missing or unreadable); `nil` when they are known.
    public var nodeInfoProblem: String?
    /// The node's slices, in `node.json` order.
    public var slices: [Slice]
    /// Every allocation, sorted by address.
    public var allocations: [Allocation]
    /// Address files that are not readable records; their addresses stay taken.
    public var corrupt: [CorruptRecord]

    /// Builds the report from a store listing and the result of reading `node.json`.
    public init(network: String, directory: String, records: [AllocationRecord], corrupt: [CorruptRecord],
                nodeInfo: Result<NodeInfo, IPAMError>) {
        self.network = network
        self.directory = directory
        let node = try? nodeInfo.get()
        nodeName = node?.nodeName
        mode = node?.mode
        if case .failure(let error) = nodeInfo { nodeInfoProblem = error.description }
        let taken = records.map(\.address) + corrupt.map(\.address)
        slices = (node?.podCIDRs ?? []).map { prefix in
            let slice = prefix.network
            let usable = Allocator.usableAddresses(of: slice).map { range in
                UInt64(clamping: range.upperBound.value - range.lowerBound.value + 1)
            } ?? 0
            let used = taken.filter { slice.contains($0) }.count
            return Slice(prefix: slice, usable: usable, used: used, free: usable - min(usable, UInt64(used)))
        }
        allocations = records.sorted { $0.address < $1.address }.map { record in
            Allocation(address: record.address, containerID: record.attachment.containerID,
                       ifname: record.attachment.ifname, podNamespace: record.pod.namespace,
                       podName: record.pod.name, netns: record.pod.netns, created: record.created,
                       inSlice: node.map { $0.podCIDRs.contains { $0.network.contains(record.address) } })
        }
        self.corrupt = corrupt.sorted { $0.address < $1.address }
    }

    /// Reads `store` (under its lock) and `<runDir>/node.json`. A missing or corrupt `node.json`
    /// is reported in `nodeInfoProblem`, not thrown. Throws what `DiskStore.list()` throws.
    public static func load(store: DiskStore, runDir: String) throws -> IPAMReport {
        let listing = try store.list()
        let nodeInfo: Result<NodeInfo, IPAMError>
        do { nodeInfo = .success(try NodeInfo.load(runDir: runDir)) } catch let error as IPAMError {
            nodeInfo = .failure(error)
        }
        return IPAMReport(network: store.network, directory: store.directory, records: listing.records,
                          corrupt: listing.corrupt, nodeInfo: nodeInfo)
    }

    /// Allocations outside every current slice.
    public var outsideSlice: [Allocation] { allocations.filter { $0.inSlice == false } }

    /// The report as pretty, key-sorted JSON (dates in ISO 8601).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        do { return String(decoding: try encoder.encode(self), as: UTF8.self) } catch {
            throw IPAMError.encodingFailed(reason: "\(error)")
        }
    }
}
