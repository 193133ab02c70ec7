import NetworkModel
import Netlink

/// The node's vxlan device, `trellis.vxlan`, as `ensure` left it.
///
/// The device is created once and then kept: a restart, or a resync, finds it with the right
/// settings and changes nothing. Only a device whose identity differs (VNI, port, local
/// address, underlay, learning) is recreated, since the kernel cannot change those in place;
/// MAC, MTU and up state are corrected in place. Its addresses are the network addresses of the
/// node's slices as host prefixes (`10.244.1.0/32`), as Flannel does.
public struct VXLANDevice: Hashable, Sendable {
    /// The device as the kernel reports it after `ensure`.
    public var link: Link
    /// Its MAC: the node's VTEP MAC, which peers program.
    public var mac: MACAddress
    /// True when `ensure` created (or recreated) the device: entries on an old one are gone.
    public var created: Bool
    /// How many changes `ensure` made (0 when the device was already right).
    public var writes: Int

    /// The device `config` asks for: `ip link add trellis.vxlan address VTEPMAC mtu
    /// UNDERLAY-50 type vxlan id VNI dstport PORT local PUBLIC-IP dev UNDERLAY nolearning`.
    public static func settings(for config: OverlayConfig) -> VXLANConfig {
        VXLANConfig(name: config.vxlan.deviceName, vni: config.vxlan.vni, port: config.vxlan.port,
                    local: config.localNode.publicIP, underlayIndex: config.underlay.index, learning: false,
                    mtu: config.underlay.mtu - VXLANSettings.overhead, mac: config.vtepMAC)
    }

    /// The device's addresses: each slice's network address as a /32 (/128).
    public static func addresses(for config: OverlayConfig) -> Set<IPPrefix> {
        Set(config.localNode.podCIDRs.map { IPPrefix(host: $0.network.address) })
    }

    /// Creates the device or brings an existing one in line with `config` (see the type's
    /// note), sets it up, and makes its global addresses exactly `addresses(for:)` (unless
    /// `withAddresses` is false: before the node knows its slice, addresses are left alone).
    /// Idempotent: a second call makes no change. Throws the `NetlinkError` of the first
    /// refused request (e.g. `EADDRINUSE` when another device already uses the VNI and port).
    public static func ensure(config: OverlayConfig, handle: NetlinkHandle, withAddresses: Bool = true) throws -> VXLANDevice {
        let wanted = settings(for: config)
        var writes = 0
        var created = false
        if let current = try handle.findLink(named: wanted.name) {
            if try !isCompatible(handle.vxlan(named: wanted.name), with: wanted) {
                try handle.deleteLink(named: current.name)
                try handle.addVXLAN(wanted)
                writes += 2
                created = true
            }
        } else {
            try handle.addVXLAN(wanted)
            writes += 1
            created = true
        }
        var link = try handle.link(named: wanted.name)
        if let mac = wanted.mac, link.mac != mac { try handle.setMAC(mac, of: link.name); writes += 1 }
        if let mtu = wanted.mtu, link.mtu != mtu { try handle.setMTU(mtu, of: link.name); writes += 1 }
        if !link.isUp { try handle.setUp(link.name); writes += 1 }
        if withAddresses { writes += try ensureAddresses(addresses(for: config), on: link.index, handle: handle) }
        if writes > 0 { link = try handle.link(named: wanted.name) }
        return VXLANDevice(link: link, mac: link.mac ?? config.vtepMAC, created: created, writes: writes)
    }

    /// How the device differs from what `ensure` would make of it, one line per difference,
    /// without changing anything (for `cnictl diagnose`). Throws the `NetlinkError` of a failed
    /// read.
    public static func differences(config: OverlayConfig, handle: NetlinkHandle) throws -> [String] {
        let wanted = settings(for: config)
        guard let link = try handle.findLink(named: wanted.name) else { return ["\(wanted.name) is missing"] }
        var found: [String] = []
        if try !isCompatible(handle.vxlan(named: wanted.name), with: wanted) {
            found.append("\(wanted.name) is not a vxlan device with VNI \(wanted.vni), port \(wanted.port), local \(wanted.local.map { "\($0)" } ?? "any") and learning off")
        }
        if !link.isUp { found.append("\(wanted.name) is down") }
        if let mac = wanted.mac, link.mac != mac {
            found.append("\(wanted.name) has MAC \(link.mac?.description ?? "none") but peers were told \(mac)")
        }
        if let mtu = wanted.mtu, link.mtu != mtu { found.append("\(wanted.name) has MTU \(link.mtu), expected \(mtu)") }
        let current = Set(try handle.addresses(linkIndex: link.index).filter { $0.scope == .universe }.map(\.prefix))
        for prefix in addresses(for: config).subtracting(current) { found.append("\(wanted.name) lacks its VTEP address \(prefix)") }
        for prefix in current.subtracting(addresses(for: config)) { found.append("\(wanted.name) holds \(prefix), not a VTEP address of this node") }
        return found
    }

    /// True when `current` (`nil`: not a vxlan device) has the identity `wanted` asks for.
    static func isCompatible(_ current: VXLANConfig?, with wanted: VXLANConfig) -> Bool {
        guard let current else { return false }
        return current.vni == wanted.vni && current.port == wanted.port && current.local == wanted.local
            && current.underlayIndex == wanted.underlayIndex && current.learning == wanted.learning
    }

    /// Adds the missing addresses and removes other global ones (a slice that changed);
    /// link-local addresses stay. Returns the number of changes.
    private static func ensureAddresses(_ wanted: Set<IPPrefix>, on index: Int32, handle: NetlinkHandle) throws -> Int {
        let current = Set(try handle.addresses(linkIndex: index).filter { $0.scope == .universe }.map(\.prefix))
        for prefix in wanted.subtracting(current) {
            try handle.addAddress(prefix, linkIndex: index, noDAD: prefix.family == .v6)
        }
        for prefix in current.subtracting(wanted) {
            try handle.deleteAddress(prefix, linkIndex: index)
        }
        return wanted.symmetricDifference(current).count
    }
}
