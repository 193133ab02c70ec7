import NetworkModel

/// A peer (or one of its pod CIDRs) that the desired state leaves out, and why. The reconciler
/// logs each once; none of them stops the others from being programmed.
public struct SkippedPeer: Hashable, Sendable, CustomStringConvertible {
    /// The peer's node name.
    public var name: String
    /// Why it was left out.
    public var reason: Reason

    /// A skipped peer; every property as documented on the type.
    public init(name: String, reason: Reason) {
        self.name = name
        self.reason = reason
    }

    /// Why a peer, or one of its pod CIDRs, gets no entries.
    public enum Reason: Hashable, Sendable {
        /// It is this node: its pods are local.
        case localNode
        /// It has no pod CIDR yet (not allocated, or not published).
        case noPodCIDR
        /// It needs the overlay but published no parsable VTEP MAC (`nil`: none at all).
        case invalidVTEPMAC(String?)
        /// It needs the overlay but this node has no vxlan device (not created yet).
        case noVXLANDevice
        /// This pod CIDR overlaps one of this node's own slices: a route would steal local
        /// pods' traffic. Only that CIDR is left out.
        case overlapsLocalSlice(IPPrefix)
        /// An entry of this peer has the same kernel key as a different entry of `holder` (the
        /// same pod CIDR or VTEP MAC); the peer whose name sorts first keeps it.
        case conflict(holder: String)
    }

    /// True for reasons that are expected and not worth a warning (the local node itself).
    public var isRoutine: Bool { reason == .localNode }

    /// `"node-3: no pod CIDR"`.
    public var description: String {
        let why = switch reason {
        case .localNode: "the local node"
        case .noPodCIDR: "no pod CIDR"
        case .invalidVTEPMAC(let text): "VTEP MAC \(text.map { "'\($0)'" } ?? "missing") is not a MAC address"
        case .noVXLANDevice: "needs the overlay but there is no vxlan device"
        case .overlapsLocalSlice(let prefix): "\(prefix) overlaps this node's own slice"
        case .conflict(let holder): "its pod CIDR or VTEP MAC is already claimed by \(holder)"
        }
        return "\(name): \(why)"
    }
}
