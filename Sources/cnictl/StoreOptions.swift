import ArgumentParser
import IPAM

/// Where the store is: the options every `cnictl ipam` command shares.
struct StoreOptions: ParsableArguments {
    @Option(help: "The CNI network name (the store's directory).")
    var network = "trellis"

    @Option(help: "The plugin's dataDir.")
    var dataDir = DiskStore.defaultDataDir

    /// The store; fails on an invalid network name.
    func store() throws -> DiskStore {
        try DiskStore(dataDir: dataDir, network: network)
    }
}

extension AllocationRecord {
    /// One line for what a command did to this record.
    var summary: String {
        let pod = [pod.namespace, pod.name].compactMap { $0 }.joined(separator: "/")
        return "\(address) (container \(attachment.containerID.prefix(12)), \(attachment.ifname)"
            + (pod.isEmpty ? "" : ", pod \(pod)") + ")"
    }
}
