import NetworkModel
import Netlink

extension UnderlayLink {
    /// The underlay as the kernel describes it: the interface `name` (`--iface`), or when `nil`
    /// the one the IPv4 default route leaves through; its index, MTU, its first global IPv4
    /// address and its first global IPv6 address, if any. A few requests and one route dump.
    ///
    /// Throws `OverlayError.noDefaultRoute` or `.underlayWithoutIPv4`, or the `NetlinkError`
    /// of a missing interface (`isNotFound`).
    public static func discover(named name: String?, handle: NetlinkHandle) throws -> UnderlayLink {
        let link: Link
        if let name {
            link = try handle.link(named: name)
        } else {
            let defaultRoute = try handle.routes(family: .v4).first { $0.destination.length == 0 && $0.linkIndex != nil }
            guard let index = defaultRoute?.linkIndex else { throw OverlayError.noDefaultRoute }
            link = try handle.link(index: index)
        }
        let global = try handle.addresses(linkIndex: link.index).filter { $0.scope == .universe }
        guard let address = global.first(where: { $0.prefix.family == .v4 }) else {
            throw OverlayError.underlayWithoutIPv4(name: link.name)
        }
        return UnderlayLink(name: link.name, index: link.index, address: address.prefix,
                            addressV6: global.first { $0.prefix.family == .v6 }?.prefix, mtu: link.mtu)
    }
}
