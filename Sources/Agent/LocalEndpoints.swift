import IPAM
import NetworkModel
import PodNetwork
import Policy

/// This node's pod interfaces as policy needs them, read from the plugin's IPAM stores: every
/// network directory under the data dir (`<dataDir>/<network>/`, one per CNI network name, so a
/// second attachment through another network is governed too). A record names the attachment
/// (container ID and interface, hence the host veth) and the pod (`K8S_POD_NAMESPACE` /
/// `K8S_POD_NAME`); the plugin writes it before it creates the veth, so the agent can program a
/// pod's interface before the pod's first packet.
public struct LocalEndpoints: Sendable {
    /// The plugin's `dataDir` (`/var/lib/cni/trellis`).
    public let dataDir: String

    /// Endpoints read from the stores under `dataDir`.
    public init(dataDir: String) {
        self.dataDir = dataDir
    }

    /// Every attachment in every store, one endpoint per host veth, sorted by interface. A
    /// missing data dir is no endpoints. Throws `IPAMError` when a store cannot be read.
    public func read() throws -> [PolicyEndpoint] {
        var addresses: [AttachmentID: (pod: PodID?, addresses: [IPAddress])] = [:]
        for network in try DiskStore.networks(in: dataDir) {
            let records = try DiskStore(dataDir: dataDir, network: network).list().records
            for record in records {
                let pod = record.pod.namespace.flatMap { namespace in
                    record.pod.name.map { PodID(namespace: namespace, name: $0) }
                }
                addresses[record.attachment, default: (pod, [])].addresses.append(record.address)
            }
        }
        return addresses.map { attachment, entry in
            PolicyEndpoint(interface: HostVethName.forAttachment(attachment), pod: entry.pod, addresses: entry.addresses.sorted())
        }.sorted { $0.interface < $1.interface }
    }
}
