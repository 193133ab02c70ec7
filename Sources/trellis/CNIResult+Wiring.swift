import NetworkModel
import CNI
import IPAM
import PodNetwork

extension CNIResult {
    /// The result of a successful ADD: the host veth and the pod interface (index 1, the one the
    /// addresses sit on), each address as a host prefix through the link-local gateway, and a
    /// default route per family.
    init(wired: WiredPod, addresses: [IPAddress], dns: CNIDNS?) {
        let families = Set(addresses.map(\.family))
        self.init(
            interfaces: [
                Interface(name: wired.hostInterfaceName, mac: wired.hostMAC.description),
                Interface(name: wired.podInterfaceName, mac: wired.podMAC.description, sandbox: wired.namespacePath),
            ],
            ips: addresses.map { IPConfig(address: IPPrefix(host: $0), gateway: PodGateway.address(for: $0.family), interface: 1) },
            routes: IPFamily.allCases.filter(families.contains).map {
                Route(destination: IPPrefix(address: IPAddress(family: $0, value: 0), length: 0)!,
                      gateway: PodGateway.address(for: $0))
            },
            dns: dns ?? CNIDNS())
    }
}
