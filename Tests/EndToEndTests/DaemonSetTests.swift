import Foundation
import Testing
import TestSupport
import YAML

/// The DaemonSet's pod template of `deploy/trellis.yaml`, as it is, run with podman on a lab node
/// the way kubelet would run it (`PodmanKubelet`), from the image `make image` built, with the
/// in-cluster configuration a pod sees pointing at the lab's test API server: the init container
/// installs the plugin and conflist into the node's dirs, the agent wires the node and answers its
/// probes as declared, pods wired by the installed plugin reach pods on the other nodes,
/// `kubectl exec ... cnictl` works in the agent's container, and a stop is graceful.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DaemonSetTests {
    static let podmanInstalled = FileManager.default.isExecutableFile(atPath: "/usr/bin/podman")

    @Test(.enabled(if: podmanInstalled, "podman is not installed"))
    func thePodTemplateInstallsThePluginWiresTheNodeAnswersItsProbesAndPodsReachOtherNodes() throws {
        let manifest = try DeployManifest.load()
        let spec = manifest.podSpec
        let agentContainer = try #require(spec.containers.first { $0.name == "trellisd" })
        let image = agentContainer.image
        guard (try? run(["podman", "image", "exists", image])) != nil else {
            throw LabError(message: "the image \(image) is missing: run `make image` (make test does) first")
        }
        let lab = try Lab(mode: .vxlan, datastore: .kubernetes)
        defer { lab.down() }
        let node = try lab.addNode(agent: false)
        let namespace = try lab.lab(["ns", node]).trimmingCharacters(in: .whitespacesAndNewlines)
        let nodeDir = try #require(lab.info(node)["run_dir"].map { ($0 as NSString).deletingLastPathComponent })
        let nodeRoot = nodeDir + "/root"
        let kubelet = try PodmanKubelet(nodeName: node, namespace: namespace, nodeRoot: nodeRoot, image: image,
                                        inCluster: try Self.inClusterConfig(kubeconfig: nodeDir + "/kubeconfig"))
        defer { kubelet.shutdown() }

        // The init container: the plugin and the conflist, in the node's own dirs.
        for container in spec.initContainers ?? [] {
            try kubelet.run(container, of: spec, configMaps: manifest.configMaps, detached: false)
        }
        let plugin = nodeRoot + "/opt/cni/bin/trellis"
        let version = try run(["env", "CNI_COMMAND=VERSION", plugin], input: "{}")
        #expect(version.contains("\"supportedVersions\""), "the installed plugin answers VERSION: \(version)")
        let conflist = try Self.jsonObject(atPath: nodeRoot + "/etc/cni/net.d/10-trellis.conflist")
        let plugins = conflist["plugins"] as? [[String: Any]] ?? []
        #expect(plugins.map { $0["type"] as? String } == ["trellis", "portmap", "bandwidth"], "conflist: \(conflist)")

        // The agent: it wires the node, publishes it, and its probes answer as declared.
        let agent = try kubelet.run(agentContainer, of: spec, configMaps: manifest.configMaps, detached: true)
        for (kind, probe) in [("readiness", agentContainer.readinessProbe), ("liveness", agentContainer.livenessProbe)] {
            let get = try #require(probe?.httpGet, "the agent declares an HTTP \(kind) probe")
            var status = ""
            let answered = try eventually(within: .seconds(60)) {
                status = try lab.exec(node, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2",
                                             "http://\(get.host ?? "127.0.0.1"):\(get.port)\(get.path)"])
                return status == "200"
            }
            let log = answered ? "" : (try? kubelet.podman(["logs", agent])) ?? ""
            #expect(answered, "the \(kind) probe GET \(get.path) on port \(get.port) answers 200 (last: \(status)); agent log: \(log)")
        }
        let nodeJSON = try Self.jsonObject(atPath: nodeRoot + "/run/trellis/node.json")
        let slice = try #require((nodeJSON["podCIDRs"] as? [String])?.first, "node.json: \(nodeJSON)")
        let object = try lab.kubeNode(node)
        #expect((object["spec"] as? [String: Any])?["podCIDRs"] as? [String] == [slice], "the slice is the Node's")
        let annotations = (object["metadata"] as? [String: Any])?["annotations"] as? [String: String] ?? [:]
        #expect(try annotations["trellis.dev/vtep-mac"] == lab.vtepMAC(of: node), "published: \(annotations)")
        for peer in Lab.nodes {
            #expect(try eventually(within: .seconds(20)) { try lab.route(on: peer, to: slice) != nil },
                    "\(peer) routes to the new node's \(slice)")
            #expect(try eventually(within: .seconds(20)) { try lab.route(on: node, to: lab.slice(of: peer)) != nil },
                    "the new node routes to \(peer)")
        }

        // A pod wired by the plugin and conflist the init container installed reaches pods on
        // the other nodes, and they reach it.
        // As the scheduler does, the Pod object exists, bound to the node, before its ADD: the
        // agent enforces NetworkPolicy and lets a pod interface pass only once it knows the pod.
        try lab.lab(["kube-put", #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"ds-pod","namespace":"default"},"spec":{"nodeName":"\#(node)","containers":[{"name":"c","image":"i"}]}}"#])
        let pod = try InstalledPluginPod(nodeNamespace: namespace, nodeRoot: nodeRoot)
        defer { pod.remove() }
        let address = try pod.add()
        for peer in ["pod-1a", "pod-2b"] {
            let peerAddress = try #require(try lab.json(peer, ["ip", "-4", "-j", "addr", "show", "eth0"]).first
                .flatMap { ($0["addr_info"] as? [[String: Any]])?.first?["local"] as? String })
            #expect((try? run(["ip", "netns", "exec", pod.namespace, "ping", "-c", "1", "-W", "2", peerAddress])) != nil,
                    "the pod \(address) reaches \(peer) (\(peerAddress))")
            #expect((try? lab.lab(["ping", peer, address])) != nil, "\(peer) reaches the pod \(address)")
        }

        // `kubectl exec daemonset/trellis -c trellisd -- cnictl ...` (Docs/install.md), in the
        // agent's container: the status of this node, and the pod's address in the store.
        let status = try kubelet.podman(["exec", agent, "cnictl", "status"])
        #expect(status.contains(slice), "cnictl status in the agent's container: \(status)")
        let allocations = try kubelet.podman(["exec", agent, "cnictl", "ipam", "show"])
        #expect(allocations.contains(address), "cnictl ipam show sees the pod's \(address): \(allocations)")
        let policy = try kubelet.podman(["exec", agent, "cnictl", "policy", "default/ds-pod"])
        #expect(policy.contains("in step:     yes") && policy.contains("ingress: open"),
                "the agent found the pod in the store the manifest mounts: \(policy)")

        pod.remove()

        // A rolling update or a drain stops the agent with SIGTERM: a graceful exit, status 0.
        try kubelet.podman(["stop", "-t", "10", agent])
        #expect(try kubelet.exitCode(agent) == 0, "the agent exits 0 on SIGTERM")

        // Removing it (Docs/install.md): `trellisd uninstall` from the image, privileged, on the
        // node's network and the three dirs the guide mounts.
        try kubelet.podman(["run", "--rm", "--pull", "never", "--network", "ns:/run/netns/\(namespace)", "--privileged"]
                           + PodmanKubelet.machineFlags + [
                            "-v", "\(nodeRoot)/opt/cni/bin:/opt/cni/bin", "-v", "\(nodeRoot)/etc/cni/net.d:/etc/cni/net.d",
                            "-v", "\(nodeRoot)/run/trellis:/run/trellis",
                            "--entrypoint", #"["/opt/trellis/bin/trellisd", "uninstall"]"#, image])
        #expect((try? lab.vtepMAC(of: node)) == nil, "uninstall removed trellis.vxlan")
        for path in ["/opt/cni/bin/trellis", "/etc/cni/net.d/10-trellis.conflist", "/run/trellis/node.json"] {
            #expect(!FileManager.default.fileExists(atPath: nodeRoot + path), "uninstall removed \(path)")
        }
    }

    /// What a pod's service account gives it, for the lab's API server: the server's address and
    /// port, the token and CA of the kubeconfig the lab wrote for the node.
    static func inClusterConfig(kubeconfig path: String) throws -> PodmanKubelet.InCluster {
        let kubeconfig = try YAMLReader.document(String(contentsOfFile: path, encoding: .utf8))
        guard case .sequence(let clusters)? = kubeconfig["clusters"], case .sequence(let users)? = kubeconfig["users"],
              case .scalar(let server, _)? = clusters.first?["cluster"]?["server"],
              case .scalar(let caData, _)? = clusters.first?["cluster"]?["certificate-authority-data"],
              case .scalar(let token, _)? = users.first?["user"]?["token"],
              let url = URLComponents(string: server), let host = url.host, let port = url.port,
              let ca = Data(base64Encoded: caData) else {
            throw LabError(message: "the lab's kubeconfig \(path) lacks a server, CA data or token")
        }
        return .init(serviceHost: host, servicePort: "\(port)", token: token, caCertificate: String(decoding: ca, as: UTF8.self))
    }

    static func jsonObject(atPath path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
    }
}

/// A pod namespace wired on a node by the plugin and conflist installed in the node's own dirs
/// (`nodeRoot` + `/opt/cni/bin`, `/etc/cni/net.d`), called as a runtime calls it: the conflist's
/// first plugin with its `name` and `cniVersion`, in the node's network namespace, in a mount
/// namespace where the node's `/run/trellis`, `/var/lib/cni` and `/var/log` are at their paths
/// (the conflist names those; the lab's nodes share this machine's filesystem).
struct InstalledPluginPod {
    let nodeNamespace: String
    let nodeRoot: String
    let namespace = "trl-ds-pod-\(UUID().uuidString.prefix(8).lowercased())"
    let containerID = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")

    init(nodeNamespace: String, nodeRoot: String) throws {
        self.nodeNamespace = nodeNamespace
        self.nodeRoot = nodeRoot
        try run(["ip", "netns", "add", namespace])
    }

    /// ADD; returns the pod's IPv4 address (without prefix length).
    func add() throws -> String {
        let result = try plugin("ADD")
        guard let object = try JSONSerialization.jsonObject(with: Data(result.utf8)) as? [String: Any],
              let address = (object["ips"] as? [[String: Any]])?.first?["address"] as? String else {
            throw LabError(message: "ADD gave no address: \(result)")
        }
        return String(address.prefix { $0 != "/" })
    }

    /// DEL, then the namespace goes. Never throws.
    func remove() {
        _ = try? plugin("DEL")
        _ = try? run(["ip", "netns", "delete", namespace])
    }

    private func plugin(_ command: String) throws -> String {
        let conflist = try DaemonSetTests.jsonObject(atPath: nodeRoot + "/etc/cni/net.d/10-trellis.conflist")
        var config = try #require((conflist["plugins"] as? [[String: Any]])?.first)
        config["name"] = conflist["name"]
        config["cniVersion"] = conflist["cniVersion"]
        let stdin = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)
        let netns = nodeRoot + "/pod-netns-\(namespace)"
        let script = """
            set -e; touch '\(netns)'; mount --bind /run/netns/\(namespace) '\(netns)'
            mount -t tmpfs none /run; mkdir -p /run/trellis /var/lib/cni '\(nodeRoot)/var/log'
            mount --bind '\(nodeRoot)/run/trellis' /run/trellis
            mount --bind '\(nodeRoot)/var/lib/cni' /var/lib/cni
            mount --bind '\(nodeRoot)/var/log' /var/log
            exec env CNI_COMMAND=\(command) CNI_CONTAINERID=\(containerID) CNI_NETNS='\(netns)' CNI_IFNAME=eth0 \
              CNI_PATH='\(nodeRoot)/opt/cni/bin' CNI_ARGS='IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=ds-pod' \
              '\(nodeRoot)/opt/cni/bin/trellis'
            """
        return try run(["ip", "netns", "exec", nodeNamespace, "sh", "-c", script], input: stdin)
    }
}
