import Foundation
import NetworkModel
@testable import Policy
import Testing
import TestSupport

/// The rendered text in a real kernel (nftables 1.0.6), inside namespaces the tests create:
/// nft accepts the full and the incremental transactions, the update leaves exactly the table a
/// full rebuild makes, and packets between veth-wired pod namespaces behind a node namespace
/// are dropped and passed as the policies say.
@Suite("policy table in the kernel", .serialized)
struct PolicyKernelTests {
    /// Loads `text` with `nft -f` inside `namespace`.
    private func load(_ text: String, into namespace: TestNamespace) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-policy-\(UUID().uuidString).nft").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try namespace.exec(["nft", "-f", path])
    }

    /// The table as the kernel holds it, order-free where nftables is: sets and maps by name with
    /// their elements as a set, chains by name with their rules in order; handles and counters out.
    private func table(in namespace: TestNamespace) throws -> [String: [String]] {
        let text = try namespace.exec(["nft", "-j", "-s", "list", "table", "inet", "trellis-policy"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        var objects: [String: [String]] = [:]
        func canonical(_ value: Any) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
        }
        for entry in root["nftables"] as? [[String: Any]] ?? [] {
            for (kind, value) in entry {
                guard var object = value as? [String: Any] else { continue }
                object["handle"] = nil
                switch kind {
                case "set", "map":
                    let elements = try (object.removeValue(forKey: "elem") as? [Any] ?? []).map(canonical).sorted()
                    objects["\(kind) \(object["name"] ?? "")"] = [try canonical(object)] + elements
                case "chain":
                    objects["chain \(object["name"] ?? "")", default: []].insert(try canonical(object), at: 0)
                case "rule":
                    objects["chain \(object["chain"] ?? "")", default: []].append(try canonical(object["expr"] ?? []))
                default: continue
                }
            }
        }
        return objects
    }

    /// Policies using every construct the compiler writes.
    private var everyConstruct: [NetworkPolicy] {
        [
            .ingress("selectors", selecting: .pod("a"), [
                PolicyRule(peers: [.pods(.pod("b")), .pods(.pod("c"), namespaces: .ns("y"))],
                           ports: [PolicyPort(.tcp, .numbers(80...80)), PolicyPort(.tcp, .numbers(8000...8080)),
                                   PolicyPort(.udp, .named("serve-81-udp")), PolicyPort(.sctp)]),
                PolicyRule(peers: [.ipBlock(cidr: IPPrefix("192.168.0.0/22")!, except: [IPPrefix("192.168.1.0/24")!]),
                                   .ipBlock(cidr: IPPrefix("2001:db8::/32")!, except: [IPPrefix("2001:db8:1::/48")!])]),
            ]),
            .egress("named-out", selecting: .pod("b"), [PolicyRule(peers: [.namespaces(.everything)], ports: [PolicyPort(.tcp, .named("serve-80-tcp"))])]),
            .egress("deny-out", in: "y", []),
            .ingress("allow-all", in: "z", [PolicyRule()]),
        ]
    }

    @Test("nft accepts the full and the incremental transaction, and the update gives the table a rebuild gives")
    func fullAndIncremental() throws {
        let old = TestCluster.compile(everyConstruct)
        var pods = TestCluster.pods
        pods[pods.firstIndex { $0.id.description == "y/c" }!].labels["pod"] = "b"   // joins the pod=b selectors
        pods.removeAll { $0.id.description == "z/b" }                               // gone: its addresses leave every set
        var policies = everyConstruct.filter { $0.name != "deny-out" && $0.name != "named-out" }   // their sets go
        policies += [
            .ingress("udp", in: "y", [PolicyRule(ports: [PolicyPort(.udp)])]),
            .ingress("from-c", in: "y", selecting: .pod("a"), [PolicyRule(peers: [.pods(.pod("c"))])]),               // new sets
            .egress("named-to-z", in: "z", [PolicyRule(peers: [.namespaces(.ns("z"))], ports: [PolicyPort(.udp, .named("serve-81-udp"))])]),
        ]
        let new = TestCluster.compile(policies, pods: pods)
        let update = try #require(PolicyTransaction.update(from: old, to: new))
        for command in ["add set", "delete set", "add element", "delete element", "add chain", "flush chain", "delete chain"] {
            #expect(update.contains("\n\(command) ") || update.hasPrefix("\(command) "), "the update exercises \(command)")
        }
        try withTestNamespaces(count: 2) { namespaces in
            try load(PolicyTransaction.full(old), into: namespaces[0])
            try load(update, into: namespaces[0])
            try load(PolicyTransaction.full(new), into: namespaces[1])
            let updated = try table(in: namespaces[0])
            #expect(updated == (try table(in: namespaces[1])))
            #expect(updated.keys.contains("chain forward") && updated.keys.contains("map ingress"))
            // The full transaction replaces a table that exists, and removal leaves none.
            try load(PolicyTransaction.full(new), into: namespaces[0])
            #expect(try table(in: namespaces[0]) == updated)
            try load(PolicyTransaction.removal, into: namespaces[0])
            try load(PolicyTransaction.removal, into: namespaces[0])
            #expect(try namespaces[0].exec(["nft", "list", "tables"]).isEmpty)
        }
    }

    @Test("packets: unknown pod interfaces pass nothing, default-deny blocks, an allow opens, replies pass, the node always reaches its pods")
    func reachability() throws {
        try withTestNamespaces(count: 4) { namespaces in
            let node = namespaces[0]
            let wiring = try PodWiring(node: node)
            let client = try wiring.add(namespaces[1], interface: "trlclient", address: "10.244.1.1")
            let server = try wiring.add(namespaces[2], interface: "trlserver", address: "10.244.1.2")
            let stranger = try wiring.add(namespaces[3], interface: "trlstranger", address: "10.244.1.3")
            let pods = [
                PolicyPod(namespace: "x", name: "client", labels: ["role": "client"], addresses: [client.address]),
                PolicyPod(namespace: "x", name: "server", labels: ["role": "server"], addresses: [server.address],
                          ports: [ContainerPort(name: "http", number: 8080)]),
            ]
            let endpoints = [client, server].map { PolicyEndpoint(interface: $0.interface, pod: PodID(namespace: "x", name: $0.name), addresses: [$0.address]) }
            func compile(_ policies: [NetworkPolicy]) -> PolicyRuleset {
                PolicyCompiler.compile(PolicyCompiler.Input(policies: policies, pods: pods, namespaces: [PolicyNamespace(name: "x")], endpoints: endpoints))
            }
            let http = try HTTPServer(in: server.namespace, address: server.address, port: 8080)
            defer { http.stop() }

            // No policy: pods talk, except the interface the agent has not programmed.
            let open = compile([])
            try load(PolicyTransaction.full(open), into: node)
            #expect(client.pings(server))
            #expect(server.pings(client))
            #expect(!stranger.pings(server))
            #expect(!client.pings(stranger))
            #expect(client.fetches(from: server, port: 8080))

            // Default deny on the server, both directions.
            let denied = compile([NetworkPolicy(namespace: "x", name: "deny", podSelector: LabelSelector(matchLabels: ["role": "server"]),
                                                policyTypes: [.ingress, .egress])])
            try load(try #require(PolicyTransaction.update(from: open, to: denied)), into: node)
            #expect(!client.pings(server))
            #expect(!client.fetches(from: server, port: 8080))
            #expect(!server.pings(client))
            #expect(try wiring.nodePings(server))

            // Allow TCP to the named port from the client: the connection and its replies pass
            // (the server's egress is still denied), ICMP still does not.
            let allowed = compile([
                NetworkPolicy(namespace: "x", name: "deny", podSelector: LabelSelector(matchLabels: ["role": "server"]), policyTypes: [.ingress, .egress]),
                .ingress("http", selecting: LabelSelector(matchLabels: ["role": "server"]),
                         [PolicyRule(peers: [.pods(LabelSelector(matchLabels: ["role": "client"]))], ports: [PolicyPort(.tcp, .named("http"))])]),
            ])
            try load(try #require(PolicyTransaction.update(from: denied, to: allowed)), into: node)
            #expect(client.fetches(from: server, port: 8080))
            #expect(!client.pings(server))
            #expect(!server.pings(client))
            #expect(try wiring.nodePings(server))
        }
    }
}

/// Pod namespaces wired to a node namespace as Trellis wires them (a veth per pod, a /32 on the
/// pod's `eth0`, a host route to it), with proxy ARP (answering at once) on the host ends
/// standing in for the plugin's gateway neighbour.
private struct PodWiring {
    let node: TestNamespace

    init(node: TestNamespace) throws {
        self.node = node
        try node.exec(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        try node.exec(["ip", "addr", "add", "192.0.2.1/32", "dev", "lo"])
    }

    struct Pod {
        let namespace: TestNamespace
        let interface: String
        let address: IPAddress
        var name: String { String(interface.dropFirst(3)) }

        /// True when one ping gets its reply within half a second.
        func pings(_ other: Pod) -> Bool {
            (try? namespace.exec(["ping", "-c", "1", "-W", "0.5", "\(other.address)"])) != nil
        }

        /// True when an HTTP GET to `other` on `port` is answered within two seconds.
        func fetches(from other: Pod, port: Int) -> Bool {
            (try? namespace.exec(["curl", "-sf", "-o", "/dev/null", "--max-time", "2", "http://\(other.address):\(port)/"])) != nil
        }
    }

    func add(_ pod: TestNamespace, interface: String, address: String) throws -> Pod {
        try node.exec(["ip", "link", "add", interface, "type", "veth", "peer", "name", "eth0", "netns", pod.name])
        try node.exec(["ip", "link", "set", interface, "up"])
        try node.exec(["sysctl", "-qw", "net.ipv4.conf.\(interface).proxy_arp=1"])
        try node.exec(["sysctl", "-qw", "net.ipv4.neigh.\(interface).proxy_delay=0"])  // answer at once, not within 0.8 s
        try node.exec(["ip", "route", "add", "\(address)/32", "dev", interface])
        try pod.exec(["ip", "addr", "add", "\(address)/32", "dev", "eth0"])
        try pod.exec(["ip", "link", "set", "eth0", "up"])
        try pod.exec(["ip", "route", "add", "default", "dev", "eth0"])
        return Pod(namespace: pod, interface: interface, address: IPAddress(address)!)
    }

    /// True when the node itself gets a ping reply from `pod`.
    func nodePings(_ pod: Pod) throws -> Bool {
        (try? node.exec(["ping", "-c", "1", "-W", "0.5", "\(pod.address)"])) != nil
    }
}

/// The HTTP server did not answer within 10 s.
private struct HTTPServerDidNotStart: Error {}

/// `python3 -m http.server` inside a namespace, ready when `init` returns.
private final class HTTPServer: Sendable {
    private let process: Process

    init(in namespace: TestNamespace, address: IPAddress, port: Int) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ip", "netns", "exec", namespace.name, "python3", "-m", "http.server", "\(port)", "--bind", "\(address)"]
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while (try? namespace.exec(["curl", "-sf", "-o", "/dev/null", "--max-time", "1", "http://\(address):\(port)/"])) == nil {
            guard Date() < deadline, process.isRunning else {
                stop()
                throw HTTPServerDidNotStart()
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Kills the server (SIGKILL: the test runner's children have SIGTERM blocked) and waits.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
