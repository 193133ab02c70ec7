import Foundation
import Testing
import TestSupport

/// A real container runtime driving the plugin through libcni: podman 4.3 with its CNI backend
/// runs a container in a node namespace on the conflist `trellisd install-cni` writes (trellis,
/// portmap, bandwidth; the recipe is in LAB-NOTES.md).
@Suite(.serialized) struct PodmanTests {
    static let image = "localhost/busybox:lab"

    /// Imports a busybox root filesystem as an image once; there is no registry here.
    static func ensureImage() throws {
        if (try? run(["podman", "image", "exists", image])) != nil { return }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-busybox-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: root.appendingPathComponent("bin/busybox").path)
        for tool in ["sh", "ip", "ping", "cat", "sleep"] {
            try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("bin/\(tool)").path,
                                                       withDestinationPath: "busybox")
        }
        _ = try run(["sh", "-c", "tar -C '\(root.path)' -c . | podman import - \(image)"])
    }

    @Test func podmanRunsAContainerThatGetsItsAddressReachesTheNodeAndFreesItOnRemoval() throws {
        try Self.ensureImage()
        try withPluginNode(pods: 0) { node, _ in
            // The conflist and plugin exactly as the DaemonSet's init container installs them.
            let confDir = node.root.appendingPathComponent("net.d"), binDir = node.root.appendingPathComponent("bin")
            try run([PluginProcess.binDir + "/trellisd", "install-cni", "--bin-dir", binDir.path, "--conf-dir", confDir.path,
                     "--run-dir", node.runDir, "--data-dir", node.dataDir,
                     "--log-file", node.root.appendingPathComponent("trellis.log").path])
            let containersConf = node.root.appendingPathComponent("containers.conf")
            try """
            [network]
            network_backend = "cni"
            cni_plugin_dirs = ["\(binDir.path)", "/usr/lib/cni"]
            """.write(to: containersConf, atomically: true, encoding: .utf8)

            let script = """
            mount -t cgroup2 none /sys/fs/cgroup && \
            CONTAINERS_CONF='\(containersConf.path)' podman --runtime runc --cgroup-manager=cgroupfs \
              --cni-config-dir '\(confDir.path)' run --rm --pids-limit=-1 \
              --ulimit nofile=20000:20000 --ulimit nproc=1024:1024 --network trellis \(Self.image) \
              sh -c 'ip -4 -o addr show eth0 && ping -c 1 -W 2 \(PluginNode.address) >/dev/null && echo reached-node'
            """
            let output = try node.namespace.exec(["sh", "-c", script])
            #expect(output.contains("inet 10.244.1."), "the container has an address of the node's slice: \(output)")
            #expect(output.contains("/32"))
            #expect(output.contains("reached-node"), "the container reaches the node: \(output)")
            #expect(try node.allocations().isEmpty, "removing the container frees its address")
            #expect(try eventually(within: .seconds(2)) { try node.hostVeths().isEmpty }, "and its veth")
        }
    }
}
