import CNI
import NetworkModel
import FoundationEssentials
import IPAM
import PodNetwork

/// The verbs of the `trellis` plugin: IPAM from the node's slice plus a routed veth per pod.
/// Each verb reads `node.json` (or the config's static `ranges`) and the IPAM store; the plugin
/// never talks to the datastore.
struct TrellisPlugin: CNIPlugin {
    private let wiring = PodWiring()

    /// ADD: reserve one address per family, wire the pod, and release the reservation again when
    /// wiring fails, so a failed ADD leaves nothing behind. A repeated ADD of a wired attachment
    /// rewires it with the same addresses. Every failure is logged with its reason.
    func add(_ request: AttachmentRequest) throws -> CNIResult {
        let log = PluginLog(config: request.config)
        let attachment = request.attachment.ipamAttachment
        return try log.failures(of: "ADD \(attachment.containerID)/\(attachment.ifname)") {
            let slice = try NodeSlice(config: request.config)
            let store = try DiskStore(dataDir: request.config.dataDir, network: request.config.name)
            let pod = PodMetadata(namespace: request.args.podNamespace, name: request.args.podName, netns: request.netns)
            let addresses = try store.allocate(for: attachment, pod: pod, ranges: slice.ranges)
            let spec = PodAttachment(containerID: attachment.containerID, interfaceName: attachment.ifname,
                                     namespacePath: request.netns, addresses: addresses, mtu: slice.mtu)
            do {
                let wired = try wireReplacingLeftover(spec)
                log.info("ADD \(attachment.containerID)/\(attachment.ifname): \(addresses.map(\.description).joined(separator: ", ")) on \(wired.hostInterfaceName)")
                return CNIResult(wired: wired, addresses: addresses, dns: request.config.dns)
            } catch {
                releaseAfterFailedWiring(attachment, addresses, in: store, log: log)
                throw error
            }
        }
    }

    /// Frees what a failed ADD reserved. When that fails too, the reservation stays and is said
    /// so in the log: the attachment's next ADD gets the same addresses back, and GC (or
    /// `cnictl ipam gc`) frees them when the runtime gives up on it.
    private func releaseAfterFailedWiring(_ attachment: AttachmentID, _ addresses: [IPAddress], in store: DiskStore, log: PluginLog) {
        let held = addresses.map(\.description).joined(separator: ", ")
        do {
            try store.release(containerID: attachment.containerID, ifname: attachment.ifname)
            log.info("ADD \(attachment.containerID)/\(attachment.ifname): wiring failed, released \(held)")
        } catch {
            log.error("ADD \(attachment.containerID)/\(attachment.ifname): wiring failed and \(held) could not be released (\(error)); "
                      + "the next ADD of this attachment reuses them, GC frees them")
        }
    }

    /// A host veth that already exists for this attachment is a previous ADD's (repeated, or
    /// killed part-way, or a DEL's veth its reaper has not deleted yet): remove it and wire
    /// afresh rather than fail.
    private func wireReplacingLeftover(_ spec: PodAttachment) throws -> WiredPod {
        do {
            return try wiring.add(spec)
        } catch PodNetworkError.hostInterfaceExists {
            try wiring.remove(spec.attachment)
            return try wiring.add(spec)
        }
    }

    /// CHECK: the store still holds the addresses of `prevResult`, and the kernel still holds
    /// the wiring.
    func check(_ request: AttachmentRequest) throws {
        let slice = try NodeSlice(config: request.config)
        let store = try DiskStore(dataDir: request.config.dataDir, network: request.config.name)
        let attachment = request.attachment.ipamAttachment
        let held = try store.addresses(of: attachment)
        guard !held.isEmpty else {
            throw CNIError(.plugin(TrellisErrorCode.checkFailed), "no address is allocated to \(attachment.containerID)/\(attachment.ifname)")
        }
        if let previous = request.config.prevResult {
            let announced = Set(previous.ips.map(\.address.address))
            guard announced == Set(held) else {
                throw CNIError(.plugin(TrellisErrorCode.checkFailed),
                               "prevResult announces \(announced.map(\.description).sorted()) but the store holds \(held.map(\.description))")
            }
        }
        try wiring.check(PodAttachment(containerID: attachment.containerID, interfaceName: attachment.ifname,
                                       namespacePath: request.netns, addresses: held, mtu: slice.mtu))
    }

    /// DEL: hand the veth, as seen now (name and index), to the reaper (or delete it inline when
    /// the reaper cannot start), then release the address. Succeeds when the netns, the veth or
    /// the reservation are already gone.
    func del(_ request: DetachmentRequest) throws {
        let log = PluginLog(config: request.config)
        let attachment = request.attachment.ipamAttachment
        try log.failures(of: "DEL \(attachment.containerID)/\(attachment.ifname)") {
            if let veth = try wiring.existingHostVeth(of: attachment), !VethReaper.start(deleting: veth) {
                try wiring.remove(veth)
            }
            let store = try DiskStore(dataDir: request.config.dataDir, network: request.config.name)
            let released = try store.release(containerID: attachment.containerID, ifname: attachment.ifname)
            log.info("DEL \(attachment.containerID)/\(attachment.ifname): released \(released.map(\.description))")
        }
    }

    /// GC: release every reservation whose attachment the runtime no longer lists, then remove
    /// every Trellis host veth no remaining reservation owns (theirs, and orphans nobody else
    /// would sweep). A GC that lists nothing (no key at all) changes nothing.
    func gc(_ request: NetworkRequest) throws {
        let log = PluginLog(config: request.config)
        guard let listed = request.config.validAttachments else {
            log.info("GC without cni.dev/valid-attachments: nothing released")
            return
        }
        try log.failures(of: "GC") {
            let store = try DiskStore(dataDir: request.config.dataDir, network: request.config.name)
            let valid = Set(listed.map(\.ipamAttachment))
            let done = try wiring.collectGarbage(in: store) { try $0.gc(keeping: valid) }
            log.info("GC: released \(done.released.map { "\($0.address) (\($0.attachment.containerID)/\($0.attachment.ifname))" }), "
                     + "removed veths \(done.removedVeths.map(\.description))")
            if !done.corrupt.isEmpty {
                log.error("GC: \(done.corrupt.count) unreadable records in \(store.directory); no veth removed while their holders are unknown")
            }
        }
    }

    /// STATUS: ready once the node's slice is known (node.json written by the agent, or a
    /// static `ranges` in the config).
    func status(_ request: NetworkRequest) throws {
        do {
            _ = try NodeSlice(config: request.config)
        } catch let error as IPAMError {
            throw CNIError(.pluginNotAvailable, "\(error)")
        }
    }
}

extension CNIAttachment {
    /// The IPAM store's key for this attachment.
    var ipamAttachment: AttachmentID {
        AttachmentID(containerID: containerID.rawValue, ifname: ifname.rawValue)
    }
}
