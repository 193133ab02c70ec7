import NetworkModel

/// The cluster indexed for the compiler: pods by identity, and the pods that can match a
/// selector grouped by namespace and labels, with their addresses and their namespace's labels.
struct PolicyCluster {
    /// A pod that selectors can match: not hostNetwork, with at least one address. A class:
    /// selectors hand out the same members thousands of times per compile, and copying the pod
    /// (labels, ports) each time dominated the compile at 5,000 pods.
    final class Member {
        let pod: PolicyPod
        let addresses: [IPAddress]

        init(pod: PolicyPod, addresses: [IPAddress]) {
            self.pod = pod
            self.addresses = addresses
        }
    }

    /// What identifies a group from one compile to the next.
    struct GroupKey: Hashable, Sendable {
        let namespace: String
        let labels: [String: String]
    }

    /// The members of one namespace that carry the same labels: a selector matches the group
    /// once for all of them. The replicas of a Deployment share their labels, so a cluster has
    /// far fewer groups than pods, and matching every selector against every pod was most of
    /// a compile's time.
    final class Group {
        let key: GroupKey
        fileprivate(set) var members: [Member] = []
        /// Every member's addresses, in member order.
        fileprivate(set) var addresses: [IPAddress] = []
        /// True when the previous compile had this group with the same addresses in the same
        /// order: a set built from unchanged groups only is the set built last time.
        fileprivate(set) var isUnchanged = false

        init(key: GroupKey) {
            self.key = key
        }
    }

    let pods: [PodID: PolicyPod]
    /// Groups by namespace, each namespace's in the order of their first pod.
    private let groupsByNamespace: [String: [Group]]
    /// The namespaces that have members, sorted, with their labels.
    private let namespaces: [(name: String, labels: [String: String])]
    /// Every group's addresses, for the next compile to tell which groups changed.
    let groupAddresses: [GroupKey: [IPAddress]]

    /// The cluster of `input`; `previousGroups` are the previous compile's `groupAddresses`.
    init(_ input: PolicyCompiler.Input, previousGroups: [GroupKey: [IPAddress]] = [:]) {
        pods = Dictionary(input.pods.map { ($0.id, $0) }) { _, last in last }
        let labels = Dictionary(input.namespaces.map { ($0.name, $0.labels) }) { _, last in last }
        // A local pod's addresses are known from IPAM before its status publishes them.
        var local: [PodID: [IPAddress]] = [:]
        for endpoint in input.endpoints {
            if let pod = endpoint.pod { local[pod, default: []] += endpoint.addresses }
        }
        var groups: [String: [Group]] = [:]
        var byKey: [GroupKey: Group] = [:]
        for pod in pods.values.sorted(by: { $0.id < $1.id }) where !pod.hostNetwork {
            var addresses = pod.addresses
            for address in local[pod.id] ?? [] where !addresses.contains(address) { addresses.append(address) }
            guard !addresses.isEmpty else { continue }
            let key = GroupKey(namespace: pod.namespace, labels: pod.labels)
            let group: Group
            if let found = byKey[key] {
                group = found
            } else {
                group = Group(key: key)
                byKey[key] = group
                groups[pod.namespace, default: []].append(group)
            }
            group.members.append(Member(pod: pod, addresses: addresses))
            group.addresses += addresses
        }
        for (key, group) in byKey { group.isUnchanged = previousGroups[key] == group.addresses }
        groupAddresses = byKey.mapValues(\.addresses)
        groupsByNamespace = groups
        namespaces = groups.keys.sorted().map { ($0, labels[$0] ?? PolicyNamespace(name: $0).labels) }
    }

    /// Every member, in namespace and group order.
    var members: [Member] {
        namespaces.flatMap { groupsByNamespace[$0.name] ?? [] }.flatMap(\.members)
    }

    /// The groups `peer`, in a policy of `namespace`, selects (ipBlocks select by address, not
    /// here): pods matching its pod selector in the namespaces matching its namespace selector,
    /// or in `namespace` when it has none.
    func groups(selectedBy peer: PolicyPeer, in namespace: String) -> [Group] {
        guard case .pods(let podSelector, let namespaceSelector) = peer else { return [] }
        let names = namespaceSelector.map { selector in namespaces.filter { selector.matches($0.labels) }.map(\.name) } ?? [namespace]
        return names.flatMap { groupsByNamespace[$0] ?? [] }.filter { podSelector?.matches($0.key.labels) ?? true }
    }

    /// The members of the groups `peer` selects.
    func members(selectedBy peer: PolicyPeer, in namespace: String) -> [Member] {
        groups(selectedBy: peer, in: namespace).flatMap(\.members)
    }
}
