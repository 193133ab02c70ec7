import Foundation
import IPAM
import Testing
import TestSupport

/// NetworkPolicy on real packets: a dual-stack lab on the Kubernetes datastore (three nodes, vxlan)
/// with the upstream conformance suite's cluster, namespaces x, y, z (label ns=NAME) with pods
/// a, b, c (label pod=NAME) spread over the nodes, each serving TCP and UDP on 80 and 81 through
/// named ports. Pods are made as the scheduler and kubelet make them (the Pod object, then ADD,
/// then status.podIPs). Each case puts its policies into the API server, waits until every pod's
/// probes of every other pod, at both addresses, give the expected matrix, then deletes them and
/// waits until everything connects again.
@Suite(.serialized, .sharedLabs(PolicyLab.make), .timeLimit(.minutes(10)))
struct LabPolicyTests {
    private var lab: Lab { get throws { try sharedLab(.vxlan) } }

    // MARK: the cases

    @Test func withoutPoliciesEveryPodReachesEveryOtherOnEveryPortAndProtocol() throws {
        try expectMatrix(["tcp/80", "udp/81"]) { _, _, _ in true }
    }

    @Test func defaultDenyIngressIsolatesANamespaceButTheNodeStillReachesItsPods() throws {
        try withPolicies([Self.policy("x", "deny-ingress", types: ["Ingress"])]) {
            try expectMatrix(["tcp/80", "udp/80"]) { _, to, _ in to.namespace != "x" }
            // kubelet's probes: the node hosting x-a reaches it (input/output, never forward).
            for address in try podAddresses("x-a") {
                let node = try lab.exec("node-1", ["/usr/bin/python3", Self.netpol, "probe", "x-a=\(address)/tcp/80"])
                #expect(node.contains("x-a 1"), "node-1 reaches its pod x-a at \(address) under default deny: \(node)")
            }
        }
    }

    @Test func namespaceSelectorAndANamedPortOpenOnlyThatPortFromThatNamespace() throws {
        let allow = Self.policy("x", "allow-y-http", types: ["Ingress"], ingress: [[
            "from": [["namespaceSelector": ["matchLabels": ["ns": "y"]]]],
            "ports": [["port": "serve-80-tcp"]],
        ]])
        try withPolicies([allow]) {
            try expectMatrix(["tcp/80", "tcp/81", "udp/80"]) { from, to, spec in
                to.namespace != "x" || (from.namespace == "y" && spec == "tcp/80")
            }
        }
    }

    @Test func podAndNamespaceSelectorsInOnePeerAreBothRequiredAndExpressionsMatch() throws {
        let allow = Self.policy("x", "allow-some", types: ["Ingress"], ingress: [[
            "from": [[
                "namespaceSelector": ["matchExpressions": [["key": "ns", "operator": "In", "values": ["y", "z"]]]],
                "podSelector": ["matchExpressions": [["key": "pod", "operator": "NotIn", "values": ["c"]]]],
            ]],
        ]])
        try withPolicies([allow]) {
            try expectMatrix(["tcp/80"]) { from, to, _ in
                to.namespace != "x" || (from.namespace != "x" && from.name != "c")
            }
        }
    }

    @Test func egressToAnIPBlockWithExceptAndAnEndPortRange() throws {
        let xb = try podAddresses("x-b")
        let deny = Self.policy("y", "egress-to-x-b", types: ["Egress"], egress: [[
            "to": xb.map { address in
                ["ipBlock": ["cidr": address.contains(":") ? "fd00:10:244::/56" : "10.244.0.0/16",
                             "except": [address.contains(":") ? "\(address)/128" : "\(address)/32"]]]
            },
            "ports": [["protocol": "TCP", "port": 80, "endPort": 81]],
        ]])
        try withPolicies([deny]) {
            try expectMatrix(["tcp/80", "tcp/81", "udp/80"]) { from, to, spec in
                from.namespace != "y" || (spec != "udp/80" && to.lab != "x-b")
            }
        }
    }

    @Test func relabellingAPodMovesItInAndOutOfASelector() throws {
        let allow = Self.policy("x", "from-trusted", types: ["Ingress"], ingress: [[
            "from": [["namespaceSelector": [String: Any](), "podSelector": ["matchLabels": ["trusted": "yes"]]]],
        ]])
        try withPolicies([allow]) {
            try expectProbe(from: "y-a", to: "x-a", "tcp/80", false)
            try relabel("y-a", namespace: "y", ["pod": "a", "trusted": "yes"])
            try expectProbe(from: "y-a", to: "x-a", "tcp/80", true)
            try relabel("y-a", namespace: "y", ["pod": "a"])
            try expectProbe(from: "y-a", to: "x-a", "tcp/80", false)
        }
    }

    @Test func aNewPodIsGovernedFromItsFirstPacket() throws {
        try withPolicies([Self.policy("z", "deny-egress", types: ["Egress"])]) {
            try expectProbe(from: "z-a", to: "x-a", "tcp/80", false)
            // Its first connection, made the moment ADD returns, is denied, and stays so.
            try lab.lab(["pod", "node-2", "z-new", "--namespace", "z", "--labels", #"{"pod":"new"}"#])
            defer { _ = try? lab.lab(["pod-del", "z-new"]) }
            let first = try lab.lab(["probe", "z-new", "x-a", "tcp/80"])
            #expect(Self.answered(first) == [false, false], "z-new's first connection: \(first)")
            // A new pod nothing isolates is programmed at once and reaches its peers.
            let start = ContinuousClock.now
            try lab.lab(["pod", "node-2", "y-new", "--namespace", "y", "--labels", #"{"pod":"new"}"#])
            defer { _ = try? lab.lab(["pod-del", "y-new"]) }
            #expect(try eventually(within: .seconds(10)) { try probe(from: "y-new", to: "x-a", "tcp/80") }, "y-new reaches x-a")
            print("y-new reached x-a \(ContinuousClock.now - start) after its ADD began")
            #expect(try !probe(from: "z-new", to: "x-a", "tcp/80"))
        }
    }

    @Test func aConnectionAPolicyNowDeniesIsCut() throws {
        // One UDP flow (fixed source port: one conntrack entry), answered before the policy...
        let flow = ["PROBE_SOURCE_PORT": "40123"]
        #expect(try Self.answered(lab.lab(["probe", "y-a", "x-a", "udp/80"], environment: flow)) == [true, true])
        try withPolicies([Self.policy("x", "deny-ingress", types: ["Ingress"])]) {
            try expectProbe(from: "y-b", to: "x-a", "udp/80", false)
            // ...is not let through by its conntrack entry once the policy denies it.
            let again = try lab.lab(["probe", "y-a", "x-a", "udp/80"], environment: flow)
            #expect(Self.answered(again) == [false, false], "the established flow is cut: \(again)")
        }
    }

    @Test func aFlushedOrDeletedTableIsRestoredAtTheNextResync() throws {
        try withPolicies([Self.policy("x", "deny-ingress", types: ["Ingress"])]) {
            try expectProbe(from: "y-a", to: "x-a", "tcp/80", false)
            for damage in [["nft", "flush", "table", "inet", "trellis-policy"], ["nft", "delete", "table", "inet", "trellis-policy"]] {
                try lab.exec("node-1", damage)
                let restored = try eventually(within: lab.resyncInterval * 3) {
                    let forward = (try? lab.exec("node-1", ["nft", "list", "chain", "inet", "trellis-policy", "forward"])) ?? ""
                    return try forward.contains("dispatch-ingress") && !probe(from: "y-a", to: "x-a", "tcp/80")
                }
                #expect(restored, "after \(damage.joined(separator: " ")), x-a is isolated again")
            }
        }
    }

    @Test func anAgentRestartOpensNothingWhileItResyncs() throws {
        try withPolicies([Self.policy("x", "deny-ingress", types: ["Ingress"])]) {
            try expectProbe(from: "y-a", to: "x-a", "tcp/80", false)
            try lab.stopAgent("node-1")
            try lab.startAgent("node-1")
            #expect(try holds(for: .seconds(4)) { try !probe(from: "y-a", to: "x-a", "tcp/80") }, "x-a stays isolated")
            try lab.waitReady(["node-1"])
            try expectProbe(from: "x-b", to: "y-a", "tcp/80", true)
        }
    }

    @Test func cnictlPolicyShowsWhatSelectsAPodAndWhatItDropped() throws {
        try withPolicies([Self.policy("x", "deny-ingress", types: ["Ingress"])]) {
            try expectProbe(from: "y-a", to: "x-a", "tcp/80", false)
            let text = try lab.exec("node-1", [PluginProcess.binDir + "/cnictl", "policy", "x/x-a",
                                               "--run-dir", try #require(try lab.info("node-1")["run_dir"])])
            #expect(text.contains("ingress: isolated by x/deny-ingress"), "\(text)")
            #expect(text.contains("x/deny-ingress: nothing"), "\(text)")
            #expect(!text.contains("dropped 0 packets"), "the probes were counted: \(text)")
            #expect(text.contains("egress: open"), "\(text)")
            let metrics = try lab.lab(["http", "node-1", "/metrics"])
            #expect(metrics.contains(#"trellis_policy_dropped_packets{pod="x/x-a",direction="ingress"}"#), "\(metrics)")
        }
    }

    // MARK: helpers

    static let netpol = URL(fileURLWithPath: Lab.script).deletingLastPathComponent().appendingPathComponent("lib/netpol.py").path

    /// A NetworkPolicy selecting every pod of `namespace`, as JSON for the API server (which
    /// defaults what is omitted).
    static func policy(_ namespace: String, _ name: String, types: [String], ingress: [[String: Any]]? = nil,
                       egress: [[String: Any]]? = nil) -> [String: Any] {
        var spec: [String: Any] = ["podSelector": [String: Any](), "policyTypes": types]
        if let ingress { spec["ingress"] = ingress }
        if let egress { spec["egress"] = egress }
        return ["apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": ["name": name, "namespace": namespace], "spec": spec]
    }

    /// Puts `policies`, runs `body`, deletes them and waits until every pod connects again.
    private func withPolicies(_ policies: [[String: Any]], _ body: () throws -> Void) throws {
        for policy in policies { try lab.lab(["kube-put", try Self.json(policy)]) }
        defer {
            for policy in policies {
                let metadata = policy["metadata"] as! [String: String]
                _ = try? lab.lab(["kube-delete", "NetworkPolicy", metadata["namespace"]!, metadata["name"]!])
            }
        }
        try body()
    }

    /// Waits (15 s) until the matrix over `specs` is `expected`; records the differences if not.
    private func expectMatrix(_ specs: [String], sourceLocation: SourceLocation = #_sourceLocation,
                              _ expected: (PodRef, PodRef, String) -> Bool) throws {
        var wrong: [String] = []
        let matched = try eventually(within: .seconds(15)) {
            wrong = try lab.lab(["matrix"] + specs).split(separator: "\n").compactMap { line in
                let field = line.split(separator: " ").map(String.init)
                guard field.count == 5, let from = PodRef(lab: field[0]), let to = PodRef(lab: field[1]) else { return "?: \(line)" }
                let want = expected(from, to, field[2])
                return (field[4] == "1") == want ? nil : "\(field[0]) -> \(field[1]) \(field[2]) at \(field[3]): \(want ? "blocked" : "passed")"
            }
            return wrong.isEmpty
        }
        #expect(matched, "\(wrong.count) probes differ:\n\(wrong.joined(separator: "\n"))", sourceLocation: sourceLocation)
    }

    private func expectProbe(from: String, to: String, _ spec: String, _ expected: Bool,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try eventually(within: .seconds(15)) { try probe(from: from, to: to, spec) == expected },
                "\(from) -> \(to) \(spec) should be \(expected ? "allowed" : "denied")", sourceLocation: sourceLocation)
    }

    /// Whether `from` reaches `to` on `spec` at every address.
    private func probe(from: String, to: String, _ spec: String) throws -> Bool {
        let answers = Self.answered(try lab.lab(["probe", from, to, spec]))
        return !answers.isEmpty && !answers.contains(false)
    }

    /// Each line's answer in `lab probe`'s output.
    static func answered(_ output: String) -> [Bool] {
        output.split(separator: "\n").map { $0.hasSuffix(" 1") }
    }

    private func relabel(_ pod: String, namespace: String, _ labels: [String: String]) throws {
        let query = try Self.json(["kind": "Pod", "namespace": namespace, "name": pod])
        var object = try #require(try JSONSerialization.jsonObject(with: Data(try lab.lab(["kube-control", "get", query]).utf8)) as? [String: Any])
        var metadata = try #require(object["metadata"] as? [String: Any])
        metadata["labels"] = labels
        metadata["resourceVersion"] = nil
        object["metadata"] = metadata
        try lab.lab(["kube-put", try Self.json(object)])
    }

    private func podAddresses(_ pod: String) throws -> [String] {
        try lab.lab(["addresses", pod]).split(whereSeparator: \.isWhitespace).map(String.init)
    }

    static func json(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// A pod of the test cluster: `x/a` is the lab's pod `x-a`.
struct PodRef: Hashable, CustomStringConvertible {
    var namespace: String
    var name: String

    init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// `x-a` → x/a; nil for a pod outside the cluster's naming.
    init?(lab: String) {
        let parts = lab.split(separator: "-", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        self.init(namespace: parts[0], name: parts[1])
    }

    var lab: String { "\(namespace)-\(name)" }
    var description: String { "\(namespace)/\(name)" }
}

/// The lab of `LabPolicyTests`: dual-stack, Kubernetes, the conformance suite's nine serving pods
/// x-a ... z-c spread over the three nodes, no others.
enum PolicyLab {
    static let namespaces = ["x", "y", "z"]
    static let podNames = ["a", "b", "c"]
    static var pods: [PodRef] { namespaces.flatMap { ns in podNames.map { PodRef(namespace: ns, name: $0) } } }

    @Sendable static func make(_ mode: NodeInfo.Mode) throws -> Lab {
        let lab = try Lab(mode: mode, datastore: .kubernetes, dualStack: true, defaultPods: false)
        do {
            for (index, pod) in pods.enumerated() {
                try lab.lab(["pod", Lab.nodes[index % Lab.nodes.count], pod.lab, "--namespace", pod.namespace,
                             "--labels", #"{"pod":"\#(pod.name)"}"#, "--serve"])
            }
        } catch {
            lab.down()
            throw error
        }
        return lab
    }
}
