import CNetlink
import NetworkModel
#if canImport(Glibc)
import Glibc
#endif

extension NetlinkHandle {
    /// Adds `neighbor`; fails when an entry for its address exists on its device.
    /// `ip neigh add ADDRESS lladdr MAC dev DEV nud permanent`.
    /// Throws `isExists` for a duplicate, `isNotFound` for a missing device.
    public func addNeighbor(_ neighbor: Neighbor) throws {
        try execute(.addNeighbor(neighbor))
    }

    /// Adds `neighbor` or overwrites the entry for its address on its device.
    /// `ip neigh replace ADDRESS lladdr MAC dev DEV nud permanent`.
    public func replaceNeighbor(_ neighbor: Neighbor) throws {
        try execute(.replaceNeighbor(neighbor))
    }

    /// Replaces every entry in `neighbors`, `batchSize` requests per datagram. Every entry is
    /// attempted; throws `NetlinkError.batch` naming each one that failed.
    /// `ip -batch` of `neigh replace ...` lines.
    public func replaceNeighbors(_ neighbors: [Neighbor]) throws {
        try applyAll(neighbors.map(NetlinkChange.replaceNeighbor), "neigh replace (\(neighbors.count) entries)")
    }

    /// Deletes the entry for `neighbor`'s address on its device (the MAC is not compared).
    /// `ip neigh del ADDRESS dev DEV`. Throws `isNotFound` (`ENOENT`) when there is none.
    public func deleteNeighbor(_ neighbor: Neighbor) throws {
        try execute(.deleteNeighbor(neighbor))
    }

    /// The IPv4/IPv6 neighbour entries that have a link-layer address, optionally only those on
    /// `linkIndex` and of `family`: one dump. `ip [-4|-6] neigh show [dev DEV]`.
    public func neighbors(linkIndex: Int32? = nil, family: IPFamily? = nil) throws -> [Neighbor] {
        try perform({ _ in "neigh show" }) { socket throws(SocketFailure) in
            var header = ndmsg()
            header.ndm_family = UInt8(family?.addressFamily ?? AF_UNSPEC)
            return try socket.dump(type: Int32(RTM_GETNEIGH), header: header)
                .compactMap { Neighbor(libnl: $0.raw) }
                .filter { entry in
                    linkIndex.map { entry.linkIndex == $0 } ?? true && family.map { entry.address.family == $0 } ?? true
                }
        }
    }
}

extension Neighbor {
    /// An RTM_NEWNEIGH request with `flags` (NLM_F_EXCL to add, NLM_F_REPLACE to replace).
    func request(flags: Int32) throws(SocketFailure) -> Message {
        let object = libnlObject()
        return try Message { rtnl_neigh_build_add_request(object.raw, flags, $0) }
    }

    /// An RTM_DELNEIGH request for this entry's address on its device.
    func deleteRequest() throws(SocketFailure) -> Message {
        let object = libnlObject()
        return try Message { rtnl_neigh_build_delete_request(object.raw, 0, $0) }
    }
}
