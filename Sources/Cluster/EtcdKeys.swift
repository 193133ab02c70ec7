import NetworkModel

/// Where Trellis keeps its records in etcd (DESIGN.md, "Cluster data"):
/// `/trellis/v1/nodes/<name>` (what peers list and watch) and
/// `/trellis/v1/subnets/<cidr-with-dash>` (the lock create-if-absent takes on a slice), both
/// holding the same `EtcdNodeRecord` JSON under the same lease.
public enum EtcdKeys {
    /// The prefix of every node record.
    public static let nodesPrefix = "/trellis/v1/nodes/"
    /// The prefix of every slice lock.
    public static let subnetsPrefix = "/trellis/v1/subnets/"

    /// `/trellis/v1/nodes/<name>`.
    public static func node(_ name: String) -> String { nodesPrefix + name }

    /// `/trellis/v1/subnets/10.244.1.0-24` for `10.244.1.0/24` (the slash would be a path
    /// separator, so it becomes a dash, as Flannel writes its subnet keys).
    public static func subnet(_ slice: IPPrefix) -> String {
        subnetsPrefix + "\(slice.address)-\(slice.length)"
    }

    /// The node name of a key under `nodesPrefix`; nil for other keys, an empty name or one
    /// with a `/` (a nested key is not a node record).
    public static func nodeName(fromKey key: String) -> String? {
        guard key.hasPrefix(nodesPrefix) else { return nil }
        let name = String(key.dropFirst(nodesPrefix.count))
        return isValidNodeName(name) ? name : nil
    }

    /// The slice a key under `subnetsPrefix` locks; nil for keys that do not name one.
    public static func slice(fromKey key: String) -> IPPrefix? {
        guard key.hasPrefix(subnetsPrefix) else { return nil }
        let text = key.dropFirst(subnetsPrefix.count)
        guard let dash = text.lastIndex(of: "-") else { return nil }
        return IPPrefix(text[..<dash] + "/" + text[text.index(after: dash)...])
    }

    /// True when `name` can be one segment of a key: not empty, no `/`.
    public static func isValidNodeName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/")
    }
}
