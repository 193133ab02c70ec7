import CNetlink
#if canImport(Glibc)
import Glibc
#endif

extension NetlinkHandle {
    /// Adds the destination `entry.destination` for `entry.mac` on the vxlan device, keeping
    /// other destinations of that MAC; succeeds when the entry exists already.
    /// `bridge fdb append MAC dev DEV dst IP self permanent`.
    /// Throws `isNotFound` for a missing device.
    public func appendFDB(_ entry: FDBEntry) throws {
        try execute(.appendFDB(entry))
    }

    /// Makes `entry.destination` the only destination of `entry.mac` on the vxlan device (a
    /// peer whose underlay address changed). `bridge fdb replace MAC dev DEV dst IP self permanent`.
    public func replaceFDB(_ entry: FDBEntry) throws {
        try execute(.replaceFDB(entry))
    }

    /// Appends every entry in `entries`, `batchSize` requests per datagram. Every entry is
    /// attempted; throws `NetlinkError.batch` naming each one that failed.
    /// `bridge -batch` of `fdb append ...` lines.
    public func appendFDBEntries(_ entries: [FDBEntry]) throws {
        try applyAll(entries.map(NetlinkChange.appendFDB), "fdb append (\(entries.count) entries)")
    }

    /// Removes the destination `entry.destination` of `entry.mac` from the vxlan device.
    /// `bridge fdb del MAC dev DEV dst IP self`. Throws `isNotFound` (`ENOENT`) when absent.
    public func deleteFDB(_ entry: FDBEntry) throws {
        try execute(.deleteFDB(entry))
    }

    /// The FDB entries with a `dst` on `linkIndex` (one per MAC and destination): one dump of
    /// the AF_BRIDGE neighbours. `bridge fdb show dev DEV`.
    public func fdbEntries(linkIndex: Int32) throws -> [FDBEntry] {
        try perform({ "fdb show dev \($0(linkIndex))" }) { socket throws(SocketFailure) in
            var header = ndmsg()
            header.ndm_family = UInt8(AF_BRIDGE)
            return try socket.dump(type: Int32(RTM_GETNEIGH), header: header)
                .compactMap { FDBEntry(libnl: $0.raw) }
                .filter { $0.linkIndex == linkIndex }
        }
    }
}
