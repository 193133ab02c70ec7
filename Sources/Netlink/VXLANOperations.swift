import CNetlink

extension NetlinkHandle {
    /// Creates the vxlan device `config` describes (down). `ip link add NAME [address MAC]
    /// [mtu MTU] type vxlan id VNI dstport PORT [local IP] [dev UNDERLAY] [no]learning`.
    /// Throws `isExists` when the name is taken, `EADDRINUSE` when another vxlan device already
    /// uses the VNI and port, `isNotFound` for a missing underlay.
    public func addVXLAN(_ config: VXLANConfig) throws {
        try perform({ "link add \(config.describe($0))" }) { socket throws(SocketFailure) in
            let link = config.libnlObject()
            try socket.execute(Message { rtnl_link_build_add_request(link.raw, NLM_F_CREATE | NLM_F_EXCL, $0) })
        }
    }

    /// The configuration of the vxlan device `name` as the kernel reports it (`mtu` and `mac`
    /// always set), fetched with one request; `nil` when `name` exists but is not a vxlan
    /// device. `ip -d link show dev NAME`. Throws `isNotFound` when there is no such device.
    public func vxlan(named name: String) throws -> VXLANConfig? {
        try perform({ _ in "link show dev \(name)" }) { socket throws(SocketFailure) in
            let request = try Message { rtnl_link_build_get_request(0, name, $0) }
            let objects = try socket.query(request)
            return objects.lazy.compactMap { VXLANConfig(libnl: $0.raw) }.first
        }
    }
}
