import CNetlink
import NetworkModel
#if canImport(Glibc)
import Glibc
#endif

extension NetlinkHandle {
    /// Adds `prefix` (address and prefix length) to the link `linkIndex`. With `noDAD` the kernel
    /// skips IPv6 duplicate address detection (IFA_F_NODAD), so the address is usable at once and
    /// never `tentative`. `ip addr add PREFIX dev DEV [nodad]`.
    /// Throws `isExists` when the address is already there, `isNotFound` for a missing link.
    public func addAddress(_ prefix: IPPrefix, linkIndex: Int32, noDAD: Bool = false) throws {
        let flag = noDAD ? " nodad" : ""
        try perform({ "addr add \(prefix) dev \($0(linkIndex))\(flag)" }) { socket throws(SocketFailure) in
            let address = Self.addressObject(prefix, linkIndex: linkIndex)
            if noDAD { rtnl_addr_set_flags(address.raw, UInt32(IFA_F_NODAD)) }
            try socket.execute(Message { rtnl_addr_build_add_request(address.raw, NLM_F_CREATE | NLM_F_EXCL, $0) })
        }
    }

    /// Removes `prefix` from the link `linkIndex`. `ip addr del PREFIX dev DEV`.
    /// Throws `isNotFound` (`EADDRNOTAVAIL`) when the address is not there.
    public func deleteAddress(_ prefix: IPPrefix, linkIndex: Int32) throws {
        try perform({ "addr del \(prefix) dev \($0(linkIndex))" }) { socket throws(SocketFailure) in
            let address = Self.addressObject(prefix, linkIndex: linkIndex)
            try socket.execute(Message { rtnl_addr_build_delete_request(address.raw, 0, $0) })
        }
    }

    /// The addresses in the namespace, optionally only those on `linkIndex` and of `family`:
    /// one dump. `ip [-4|-6] addr show [dev DEV]`.
    public func addresses(linkIndex: Int32? = nil, family: IPFamily? = nil) throws -> [AddressEntry] {
        try perform({ _ in "addr show" }) { socket throws(SocketFailure) in
            var header = ifaddrmsg()
            header.ifa_family = UInt8(family?.addressFamily ?? AF_UNSPEC)
            return try socket.dump(type: Int32(RTM_GETADDR), header: header)
                .compactMap { AddressEntry(libnl: $0.raw) }
                .filter { entry in
                    linkIndex.map { entry.linkIndex == $0 } ?? true && family.map { entry.prefix.family == $0 } ?? true
                }
        }
    }

    /// An `rtnl_addr` naming `prefix` on `linkIndex`.
    private static func addressObject(_ prefix: IPPrefix, linkIndex: Int32) -> Object {
        let address = Object(owning: rtnl_addr_alloc()!)
        rtnl_addr_set_ifindex(address.raw, linkIndex)
        _ = withNLAddress(prefix) { rtnl_addr_set_local(address.raw, $0) }
        rtnl_addr_set_prefixlen(address.raw, Int32(prefix.length))
        return address
    }
}
