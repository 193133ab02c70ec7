import CNetlink
import NetworkModel
#if canImport(Glibc)
import Glibc
#endif

/// A nexthop object: a gateway on a device, stored once in the kernel under an `id` that routes
/// refer to (`nhid`) instead of carrying the gateway themselves.
/// `ip nexthop add id ID via GW dev DEV [onlink] proto P`.
///
/// Why Trellis uses them: the kernel checks a plain route's gateway against every other route's
/// next hop, so programming one `via GW onlink` route per peer slows down with the number of
/// distinct gateways (9.4k routes/s at 5,000 peers, 1.3k/s at 20,000); routes referring to
/// nexthop objects stay at about 30k/s. libnl 3.7 has no API for them, so this type speaks
/// the raw netlink messages (RTM_NEWNEXTHOP, RTM_DELNEXTHOP, RTM_GETNEXTHOP).
public struct Nexthop: Hashable, Sendable {
    /// The kernel's identity of the object (`id`); never 0 (which asks the kernel to pick one).
    public var id: UInt32
    /// The gateway (`via`); its family is the nexthop's family.
    public var gateway: IPAddress
    /// The outgoing device (`dev`).
    public var linkIndex: Int32
    /// Treat the gateway as directly reachable on the device (`onlink`): how vxlan nexthops
    /// reach peer VTEPs.
    public var onLink: Bool
    /// Who installed it (`proto`): Trellis marks its own with its route protocol.
    public var `protocol`: RouteProtocol

    /// A nexthop; every property as documented on the type.
    public init(id: UInt32, gateway: IPAddress, linkIndex: Int32, onLink: Bool = false,
                protocol: RouteProtocol = .boot) {
        self.id = id
        self.gateway = gateway
        self.linkIndex = linkIndex
        self.onLink = onLink
        self.protocol = `protocol`
    }
}

extension Nexthop {
    /// The nexthop in a received RTM_NEWNEXTHOP message, or `nil` for anything but a single
    /// gateway on a device (groups, blackholes, FDB nexthops, device-only nexthops).
    init?(message: OpaquePointer) {
        let header = nlmsg_hdr(message)!
        guard header.pointee.nlmsg_type == UInt16(RTM_NEWNEXTHOP),
              header.pointee.nlmsg_len >= UInt32(MemoryLayout<nlmsghdr>.size + MemoryLayout<nhmsg>.size)
        else { return nil }
        let fixed = UnsafeRawPointer(nlmsg_data(header)!).loadUnaligned(as: nhmsg.self)
        let headerLength = Int32(MemoryLayout<nhmsg>.size)
        func attribute(_ type: Int32) -> UnsafeMutablePointer<nlattr>? { nlmsg_find_attr(header, headerLength, type) }
        guard attribute(Int32(NHA_GROUP)) == nil, attribute(Int32(NHA_BLACKHOLE)) == nil,
              let id = attribute(Int32(NHA_ID)).map { nla_get_u32($0) },
              let linkIndex = attribute(Int32(NHA_OIF)).map { nla_get_u32($0) },
              let gatewayAttribute = attribute(Int32(NHA_GATEWAY)),
              let gateway = IPAddress(bytes: Array(UnsafeRawBufferPointer(start: nla_data(gatewayAttribute),
                                                                          count: Int(nla_len(gatewayAttribute)))))
        else { return nil }
        self.init(id: id, gateway: gateway, linkIndex: Int32(bitPattern: linkIndex),
                  onLink: fixed.nh_flags & UInt32(RTNH_F_ONLINK) != 0,
                  protocol: RouteProtocol(rawValue: fixed.nh_protocol))
    }

    /// An RTM_NEWNEXTHOP request with `flags` (NLM_F_EXCL to add, NLM_F_REPLACE to replace).
    func request(flags: Int32) throws(SocketFailure) -> Message {
        var header = nhmsg()
        header.nh_family = UInt8(gateway.family.addressFamily)
        header.nh_protocol = self.protocol.rawValue
        header.nh_flags = onLink ? UInt32(RTNH_F_ONLINK) : 0
        let message = try Message(type: Int32(RTM_NEWNEXTHOP), flags: flags, header: header)
        try message.put(Int32(NHA_ID), id)
        try message.put(Int32(NHA_OIF), UInt32(bitPattern: linkIndex))
        try message.put(Int32(NHA_GATEWAY), bytes: gateway.bytes)
        return message
    }

    /// An RTM_DELNEXTHOP request for this id (the kernel matches nothing else).
    func deleteRequest() throws(SocketFailure) -> Message {
        let message = try Message(type: Int32(RTM_DELNEXTHOP), flags: 0, header: nhmsg())
        try message.put(Int32(NHA_ID), id)
        return message
    }

    /// `"id 2113929217 via 10.244.2.0 dev trellis.vxlan onlink"`, naming the device via `names`.
    func describe(_ names: DeviceNames) -> String {
        "id \(id) via \(gateway) dev \(names(linkIndex))" + (onLink ? " onlink" : "")
    }
}

extension Message {
    /// Appends the attribute `type` holding `value` (host byte order, as netlink's u32s are).
    func put(_ type: Int32, _ value: UInt32) throws(SocketFailure) {
        let code = nla_put_u32(raw, type, value)
        guard code >= 0 else { throw SocketFailure(errno: errnoFromLibnl(code)) }
    }

    /// Appends the attribute `type` holding `bytes`.
    func put(_ type: Int32, bytes: [UInt8]) throws(SocketFailure) {
        let code = bytes.withUnsafeBytes { nla_put(raw, type, Int32($0.count), $0.baseAddress) }
        guard code >= 0 else { throw SocketFailure(errno: errnoFromLibnl(code)) }
    }
}
