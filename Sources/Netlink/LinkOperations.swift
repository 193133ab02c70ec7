import NetworkModel
import CNetlink
#if canImport(Glibc)
import Glibc
#endif

extension NetlinkHandle {
    /// Every link in the namespace. `ip link show`
    public func links() throws -> [Link] {
        try perform({ _ in "link show" }) { socket throws(SocketFailure) in
            var header = ifinfomsg()
            header.ifi_family = UInt8(AF_UNSPEC)
            return try socket.dump(type: Int32(RTM_GETLINK), header: header).compactMap { LinkParser.link(from: $0.raw) }
        }
    }

    /// The link called `name`, fetched with a single RTM_GETLINK request (no dump).
    /// `ip link show dev NAME`. Throws `isNotFound` (`ENODEV`) when there is none.
    public func link(named name: String) throws -> Link {
        try perform({ _ in "link show dev \(name)" }) { socket throws(SocketFailure) in
            try LinkParser.fetch(index: 0, name: name, from: socket)
        }
    }

    /// The link called `name`, or `nil` when there is none (one request). For teardown paths
    /// where a missing device is success. `ip link show dev NAME`.
    public func findLink(named name: String) throws -> Link? {
        do {
            return try link(named: name)
        } catch let error as NetlinkError where error.errno == ENODEV {
            return nil
        }
    }

    /// The link with interface index `index`, fetched with a single request.
    /// `ip link show` (by index). Throws `isNotFound` (`ENODEV`) when there is none.
    public func link(index: Int32) throws -> Link {
        try perform({ _ in "link show index \(index)" }) { socket throws(SocketFailure) in
            try LinkParser.fetch(index: index, name: nil, from: socket)
        }
    }

    /// Creates a veth pair with ONE request: `name` here and `peerName` directly inside the
    /// namespace at `peerNamespacePath` (IFLA_NET_NS_FD on the peer), or here when `nil`. Neither
    /// end is ever moved afterwards, which would serialise on the kernel's routing lock.
    /// `ip link add NAME [mtu MTU] type veth peer name PEER [address MAC] [mtu MTU] netns NS`.
    /// Both ends start down. Throws `isExists` when either name is taken (in its namespace).
    public func addVethPair(name: String, peerName: String, peerNamespacePath: String? = nil,
                            mtu: Int? = nil, peerMAC: MACAddress? = nil) throws {
        let peerNamespace = try peerNamespacePath.map { try NamespaceFile(path: $0) }
        let target = peerNamespacePath.map { " netns \($0)" } ?? ""
        try perform({ _ in "link add \(name) type veth peer name \(peerName)\(target)" }) { socket throws(SocketFailure) in
            let link = Object(owning: rtnl_link_veth_alloc()!)
            let peer = Object(owning: rtnl_link_veth_get_peer(link.raw)!)
            rtnl_link_set_name(link.raw, name)
            rtnl_link_set_name(peer.raw, peerName)
            if let mtu {
                rtnl_link_set_mtu(link.raw, UInt32(mtu))
                rtnl_link_set_mtu(peer.raw, UInt32(mtu))
            }
            if let peerMAC { withNLAddress(peerMAC) { rtnl_link_set_addr(peer.raw, $0) } }
            if let peerNamespace { rtnl_link_set_ns_fd(peer.raw, peerNamespace.fd) }
            try socket.execute(Message { rtnl_link_build_add_request(link.raw, NLM_F_CREATE | NLM_F_EXCL, $0) })
        }
        withExtendedLifetime(peerNamespace) {}
    }

    /// Brings `name` up. `ip link set dev NAME up`. Throws `isNotFound` for a missing device.
    public func setUp(_ name: String) throws {
        try change(name, "link set dev \(name) up") { rtnl_link_set_flags($0, UInt32(IFF_UP.rawValue)) }
    }

    /// Takes `name` down. `ip link set dev NAME down`. Throws `isNotFound` for a missing device.
    public func setDown(_ name: String) throws {
        try change(name, "link set dev \(name) down") { rtnl_link_unset_flags($0, UInt32(IFF_UP.rawValue)) }
    }

    /// Sets the MTU of `name`. `ip link set dev NAME mtu MTU`. Throws `EINVAL` for an MTU the
    /// device refuses, `isNotFound` for a missing device.
    public func setMTU(_ mtu: Int, of name: String) throws {
        try change(name, "link set dev \(name) mtu \(mtu)") { rtnl_link_set_mtu($0, UInt32(mtu)) }
    }

    /// Sets the link-layer address of `name`. `ip link set dev NAME address MAC`.
    public func setMAC(_ mac: MACAddress, of name: String) throws {
        try change(name, "link set dev \(name) address \(mac)") { link in
            withNLAddress(mac) { rtnl_link_set_addr(link, $0) }
        }
    }

    /// Renames `name` to `newName` (the device must be down for most drivers: `EBUSY` otherwise).
    /// `ip link set dev NAME name NEWNAME`. Two requests: the lookup, then the rename.
    public func rename(_ name: String, to newName: String) throws {
        try perform({ _ in "link set dev \(name) name \(newName)" }) { socket throws(SocketFailure) in
            let index = try LinkParser.fetch(index: 0, name: name, from: socket).index
            let original = LinkParser.allocate()
            rtnl_link_set_ifindex(original.raw, index)
            let changes = LinkParser.allocate()
            rtnl_link_set_name(changes.raw, newName)
            try socket.execute(Message { rtnl_link_build_change_request(original.raw, changes.raw, 0, $0) })
        }
    }

    /// Moves `name` into the namespace at `namespacePath`. `ip link set dev NAME netns NS`.
    /// Not for pod wiring (see `addVethPair`): a move serialises on the kernel's routing lock.
    public func move(_ name: String, toNamespacePath namespacePath: String) throws {
        let namespace = try NamespaceFile(path: namespacePath)
        try change(name, "link set dev \(name) netns \(namespacePath)") { rtnl_link_set_ns_fd($0, namespace.fd) }
        withExtendedLifetime(namespace) {}
    }

    /// Deletes `name` (for a veth, both ends). `ip link del dev NAME`.
    /// Throws `isNotFound` for a missing device.
    public func deleteLink(named name: String) throws {
        try perform({ _ in "link del dev \(name)" }) { socket throws(SocketFailure) in
            let link = LinkParser.allocate()
            rtnl_link_set_name(link.raw, name)
            try socket.execute(Message { rtnl_link_build_delete_request(link.raw, $0) })
        }
    }

    /// Deletes the link with interface index `index` (for a veth, both ends): exactly the device
    /// that index names, never one that took its name later. `ip link del dev NAME` by index.
    /// Throws `isNotFound` when no link has that index.
    public func deleteLink(index: Int32) throws {
        try perform({ _ in "link del index \(index)" }) { socket throws(SocketFailure) in
            let link = LinkParser.allocate()
            rtnl_link_set_ifindex(link.raw, index)
            try socket.execute(Message { rtnl_link_build_delete_request(link.raw, $0) })
        }
    }

    /// One RTM_NEWLINK request that finds the device by name (IFLA_IFNAME) and applies what
    /// `configure` sets on the change object.
    private func change(_ name: String, _ operation: String, _ configure: (OpaquePointer) -> Void) throws {
        try perform({ _ in operation }) { socket throws(SocketFailure) in
            let original = LinkParser.allocate()
            let changes = LinkParser.allocate()
            rtnl_link_set_name(changes.raw, name)
            configure(changes.raw)
            try socket.execute(Message { rtnl_link_build_change_request(original.raw, changes.raw, 0, $0) })
        }
    }
}
