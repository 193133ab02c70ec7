import CNetlink
import NetworkModel

/// A vxlan device as Trellis creates it: `ip link add NAME type vxlan id VNI dstport PORT
/// [local IP] [dev UNDERLAY] nolearning`. Without `group` or `remote`: every destination comes
/// from FDB entries the agent programs.
public struct VXLANConfig: Hashable, Sendable {
    /// The device name (Trellis uses `trellis.vxlan`).
    public var name: String
    /// The VXLAN network identifier (`id`), 24 bits.
    public var vni: UInt32
    /// The UDP destination port (`dstport`); 8472 is the Linux (and Flannel) default.
    public var port: UInt16
    /// The source address of encapsulated packets (`local`); `nil` lets the kernel choose.
    public var local: IPAddress?
    /// The underlay device (`dev`), index in the same namespace.
    public var underlayIndex: Int32?
    /// Whether the device learns source MACs from received packets (`learning`); Trellis
    /// programs the FDB itself and turns this off.
    public var learning: Bool
    /// The device MTU; `nil` lets the kernel derive it from the underlay.
    public var mtu: Int?
    /// The device's MAC address; `nil` for a random one.
    public var mac: MACAddress?

    /// A vxlan configuration; every property as documented on the type.
    public init(name: String, vni: UInt32, port: UInt16 = 8472, local: IPAddress? = nil,
                underlayIndex: Int32? = nil, learning: Bool = false, mtu: Int? = nil,
                mac: MACAddress? = nil) {
        self.name = name
        self.vni = vni
        self.port = port
        self.local = local
        self.underlayIndex = underlayIndex
        self.learning = learning
        self.mtu = mtu
        self.mac = mac
    }
}

extension VXLANConfig {
    /// The configuration of a parsed vxlan `rtnl_link`, with `mtu` and `mac` as the kernel
    /// reports them; `nil` when the link is not a vxlan device.
    init?(libnl link: OpaquePointer) {
        guard rtnl_link_is_vxlan(link) != 0, let name = rtnl_link_get_name(link) else { return nil }
        var vni: UInt32 = 0
        var port: UInt32 = 0
        var underlay: UInt32 = 0
        var local: OpaquePointer?
        _ = rtnl_link_vxlan_get_id(link, &vni)
        _ = rtnl_link_vxlan_get_port(link, &port)
        let hasUnderlay = rtnl_link_vxlan_get_link(link, &underlay) == 0 && underlay > 0
        if rtnl_link_vxlan_get_local(link, &local) < 0 { local = nil }
        defer { if let local { nl_addr_put(local) } }
        self.init(name: String(cString: name), vni: vni, port: UInt16(truncatingIfNeeded: port),
                  local: ipAddress(of: local),
                  underlayIndex: hasUnderlay ? Int32(bitPattern: underlay) : nil,
                  learning: rtnl_link_vxlan_get_learning(link) > 0,
                  mtu: Int(rtnl_link_get_mtu(link)),
                  mac: macAddress(of: rtnl_link_get_addr(link)))
    }

    /// A vxlan `rtnl_link` describing this configuration for an add request.
    func libnlObject() -> Object {
        let link = Object(owning: rtnl_link_vxlan_alloc()!)
        rtnl_link_set_name(link.raw, name)
        _ = rtnl_link_vxlan_set_id(link.raw, vni)
        _ = rtnl_link_vxlan_set_port(link.raw, UInt32(port))
        _ = rtnl_link_vxlan_set_learning(link.raw, learning ? 1 : 0)
        if let local { _ = withNLAddress(local) { rtnl_link_vxlan_set_local(link.raw, $0) } }
        if let underlayIndex { _ = rtnl_link_vxlan_set_link(link.raw, UInt32(bitPattern: underlayIndex)) }
        if let mtu { rtnl_link_set_mtu(link.raw, UInt32(mtu)) }
        if let mac { withNLAddress(mac) { rtnl_link_set_addr(link.raw, $0) } }
        return link
    }

    /// `"trellis.vxlan type vxlan id 1 dstport 8472 local 198.18.0.2 nolearning"`.
    func describe(_ names: DeviceNames) -> String {
        var text = "\(name) type vxlan id \(vni) dstport \(port)"
        if let local { text += " local \(local)" }
        if let underlayIndex { text += " dev \(names(underlayIndex))" }
        return text + (learning ? " learning" : " nolearning")
    }
}
