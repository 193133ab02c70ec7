import NetworkModel
import CNI
import IPAM

/// The address ranges and MTU pods on this node get: the config's static `ranges` and `mtu`
/// when given, else the agent's `node.json` (whose MTU already accounts for the overlay).
struct NodeSlice {
    /// MTU when neither the config nor node.json names one (static ranges without the agent).
    static let defaultMTU = 1500

    let ranges: [IPPrefix]
    let mtu: Int

    /// Throws `IPAMError.nodeInfoMissing` (the agent has not written node.json yet) or
    /// `.nodeInfoCorrupt` unless the config carries its own ranges.
    init(config: NetworkConfig) throws {
        if !config.ranges.isEmpty {
            ranges = config.ranges
            mtu = config.mtu ?? Self.defaultMTU
            return
        }
        let node = try NodeInfo.load(runDir: config.runDir)
        ranges = node.podCIDRs
        mtu = config.mtu ?? node.mtu
    }
}
