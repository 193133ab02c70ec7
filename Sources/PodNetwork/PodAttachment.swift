import NetworkModel
import IPAM
import Netlink

/// What to wire for one pod: its container, the interface to create in its network namespace,
/// the addresses IPAM gave it (one per family) and the MTU. A value: computed by the plugin, then
/// handed to `PodWiring`.
public struct PodAttachment: Hashable, Sendable {
    public var containerID: String
    /// The interface inside the pod (CNI_IFNAME, usually `eth0`).
    public var interfaceName: String
    /// The pod's network namespace (CNI_NETNS).
    public var namespacePath: String
    /// The pod's addresses, each installed as a host prefix (/32 or /128).
    public var addresses: [IPAddress]
    public var mtu: Int

    public init(containerID: String, interfaceName: String, namespacePath: String,
                addresses: [IPAddress], mtu: Int) {
        self.containerID = containerID
        self.interfaceName = interfaceName
        self.namespacePath = namespacePath
        self.addresses = addresses
        self.mtu = mtu
    }

    /// The attachment's identity: the container ID and the interface name.
    public var attachment: AttachmentID { AttachmentID(containerID: containerID, ifname: interfaceName) }

    /// The host end of the veth pair (`trl…`), derived from the container ID and interface name.
    public var hostInterfaceName: String { HostVethName.forAttachment(attachment) }

    /// The routes the pod needs: per family, the gateway as an on-link host route and the
    /// default route through it.
    func podRoutes(linkIndex: Int32) -> [Route] {
        families.flatMap { family -> [Route] in
            let gateway = PodGateway.address(for: family)
            let defaultRoute = Route(destination: IPPrefix(address: IPAddress(family: family, value: 0), length: 0)!,
                                     gateway: gateway, linkIndex: linkIndex)
            guard family == .v4 else { return [defaultRoute] }
            return [Route(destination: IPPrefix(host: gateway), linkIndex: linkIndex, scope: .link), defaultRoute]
        }
    }

    /// The host's /32 (/128) routes to the pod through its veth.
    func hostRoutes(linkIndex: Int32) -> [Route] {
        addresses.map { Route(destination: IPPrefix(host: $0), linkIndex: linkIndex, scope: .link) }
    }

    /// The address families the pod has an address in.
    var families: [IPFamily] { IPFamily.allCases.filter { f in addresses.contains { $0.family == f } } }
}

/// The interfaces a successful ADD created, for the CNI result.
public struct WiredPod: Hashable, Sendable {
    public var hostInterfaceName: String
    public var hostMAC: MACAddress
    public var podInterfaceName: String
    public var podMAC: MACAddress
    public var namespacePath: String
}
