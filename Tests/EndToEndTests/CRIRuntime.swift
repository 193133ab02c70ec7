import Foundation
import TestSupport

/// containerd 1.6 with its built-in CRI plugin (the code kubelet talks to) running in a node's
/// network namespace, driving the plugin that `trellisd install-cni` installed. The recipe is in
/// LAB-NOTES.md ("kubelet's own path"):
///
/// - a holder process keeps a mount namespace of its own inside the node's network namespace
///   (a private cgroup2 mount, a private `/run`, libcni's cache dir `/var/lib/cni` bound to a
///   directory of this runtime), so containerd restarted through it keeps its pods' netns mounts;
/// - containerd's root, state, sockets, runc root and CNI bin and conf dirs all live under one
///   temporary directory; the bin dir holds what install-cni copied plus the reference
///   `loopback`, `portmap` and `bandwidth`, as a node's `/opt/cni/bin` does;
/// - the sandbox and container image is a busybox OCI layout made by `cri/image.py` and imported
///   with `ctr`: there is no registry.
///
/// CRI calls go through `cri/cri.py` (gRPC over containerd's socket). `shutdown()` stops and
/// removes every sandbox, then containerd, its shims and the holder, then deletes the directory.
final class CRIRuntime {
    static let image = "localhost/trellis-e2e:lab"
    /// The venv python with `container-runtime-interface-api` (`make cri-venv`).
    static let python: String = ProcessInfo.processInfo.environment["TRELLIS_CRI_PYTHON"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/cri-venv/bin/python").path
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("cri")

    /// Where the plugin keeps its state on the node; install-cni writes these into the conflist.
    struct PluginDirs {
        var runDir: String
        var dataDir: String
        var logFile: String
    }

    let root: URL
    let namespace: String
    var socket: String { root.appendingPathComponent("containerd.sock").path }
    var binDir: String { root.appendingPathComponent("bin").path }
    var confDir: String { root.appendingPathComponent("net.d").path }
    var log: String { root.appendingPathComponent("containerd.log").path }
    private var holder: Process?
    /// containerd's pid. It is stopped by signal and polling /proc: Foundation's `waitUntilExit`
    /// was seen to hang on a containerd it had started and signalled.
    private var containerd: pid_t?

    /// Installs the plugin, starts the holder and containerd in network namespace `namespace`
    /// (a name under /var/run/netns) and imports the image. Cleans up after itself when it throws.
    init(namespace: String, plugin: PluginDirs) throws {
        self.namespace = namespace
        root = URL(fileURLWithPath: "/tmp/trellis-cri-\(UUID().uuidString.prefix(8).lowercased())")
        do {
            for dir in ["cni-cache", "opt", "runc"] {
                try FileManager.default.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
            }
            try run([PluginProcess.binDir + "/trellisd", "install-cni", "--bin-dir", binDir, "--conf-dir", confDir,
                     "--run-dir", plugin.runDir, "--data-dir", plugin.dataDir, "--log-file", plugin.logFile])
            for reference in ["loopback", "portmap", "bandwidth"] {
                try FileManager.default.copyItem(atPath: "/usr/lib/cni/" + reference, toPath: binDir + "/" + reference)
            }
            try config.write(to: root.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
            try startHolder()
            try startContainerd()
            let image = root.appendingPathComponent("image.tar").path
            try run([Self.python, Self.scripts.appendingPathComponent("image.py").path, image, Self.image])
            try run(["ctr", "-a", socket, "-n", "k8s.io", "images", "import", image])
        } catch {
            shutdown()
            throw error
        }
    }

    /// Runs `cri.py COMMAND ARGUMENTS` against this containerd and parses the JSON it prints.
    /// Throws `CommandError` carrying the runtime's message when the CRI call fails.
    @discardableResult
    func cri(_ arguments: [String]) throws -> [String: Any] {
        let output = try run([Self.python, Self.scripts.appendingPathComponent("cri.py").path, "--socket", socket] + arguments)
        return try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
    }

    /// RunPodSandbox of `count` pods named `name` (or `name-1`...) at once: `(name, id, ip)` each,
    /// or `(name, error)` for those that failed.
    func runSandboxes(_ name: String, count: Int = 1, ports: [String] = []) throws -> [[String: String]] {
        let reply = try cri(["run-sandboxes", name, "--count", "\(count)"] + ports.flatMap { ["--port", $0] })
        return reply["sandboxes"] as? [[String: String]] ?? []
    }

    /// One running sandbox; throws with the runtime's message when RunPodSandbox failed.
    func runSandbox(_ name: String, ports: [String] = []) throws -> (id: String, ip: String) {
        let sandbox = try runSandboxes(name, ports: ports).first ?? [:]
        guard let id = sandbox["id"], let ip = sandbox["ip"] else {
            throw LabError(message: "RunPodSandbox \(name) failed: \(sandbox["error"] ?? "no reply")")
        }
        return (id, ip)
    }

    /// A container running `argv` in the sandbox; returns its ID.
    func runContainer(in sandbox: String, named sandboxName: String, _ argv: [String]) throws -> String {
        try cri(["run-container", sandbox, sandboxName, Self.image] + argv)["id"] as? String ?? ""
    }

    /// ExecSync in a container: its exit code and output.
    func exec(_ container: String, _ argv: [String]) throws -> (exitCode: Int, output: String) {
        let reply = try cri(["exec", container] + argv)
        return (reply["exitCode"] as? Int ?? -1, "\(reply["stdout"] ?? "")\(reply["stderr"] ?? "")")
    }

    /// The sandboxes containerd knows, by ID: their state (`SANDBOX_READY`, `SANDBOX_NOTREADY`).
    func sandboxes() throws -> [String: String] {
        let list = try cri(["list"])["sandboxes"] as? [[String: String]] ?? []
        return Dictionary(list.compactMap { item in item["id"].map { ($0, item["state"] ?? "") } }) { a, _ in a }
    }

    /// The network namespaces containerd has mounted for its sandboxes (in the holder's view).
    func sandboxNetnsMounts() throws -> [String] {
        guard let holder else { return [] }
        let mounts = try String(contentsOfFile: "/proc/\(holder.processIdentifier)/mounts", encoding: .utf8)
        return mounts.split(separator: "\n").filter { $0.contains(root.path) && $0.contains("nsfs") }.map(String.init)
    }

    /// SIGTERM to containerd, then a new one through the same holder: pods and shims stay up.
    func restartContainerd() throws {
        stopContainerd()
        try startContainerd()
    }

    /// Stops and removes every sandbox (the plugin's DELs), then containerd, any shim of it left,
    /// and the holder (its mount namespace, with every mount inside, goes with it); deletes the
    /// directory. Never throws.
    func shutdown() {
        if containerd != nil { _ = try? cri(["remove-all"]) }
        stopContainerd()
        // A shim left over (a test that failed half-way) takes its containers' processes with it.
        for shim in shimPIDs() {
            for child in Self.children(of: shim) { kill(child, SIGKILL) }
            kill(shim, SIGKILL)
        }
        if let holder {
            holder.terminate()
            holder.waitUntilExit()
        }
        holder = nil
        try? FileManager.default.removeItem(at: root)
    }

    /// The shims this containerd started (their command line names its socket).
    func shimPIDs() -> [pid_t] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { pid_t($0) } ?? []
        return pids.filter { pid in
            guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let argv = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return argv.first?.hasSuffix("containerd-shim-runc-v2") == true && argv.contains(socket)
        }
    }

    private func startHolder() throws {
        holder = try startNamespaceHolder(in: namespace, setUp: "mount -t cgroup2 none /sys/fs/cgroup && mount -t tmpfs none /run"
                                          + " && mkdir -p /var/lib/cni && mount --bind '\(root.path)/cni-cache' /var/lib/cni")
    }

    private func startContainerd() throws {
        guard let holder else { throw LabError(message: "no holder") }
        let process = try startAppendingOutput(to: log, "/usr/bin/nsenter", [
            "-t", "\(holder.processIdentifier)", "-m", "-n", "containerd", "--config", root.appendingPathComponent("config.toml").path])
        let pid = process.processIdentifier
        containerd = pid
        let deadline = ContinuousClock.now + .seconds(20)
        while (try? run(["ctr", "-a", socket, "version"])) == nil {
            guard Self.isRunning(pid), ContinuousClock.now < deadline else {
                throw LabError(message: "containerd did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// SIGTERM, up to 10 s for containerd to exit, then SIGKILL.
    private func stopContainerd() {
        guard let pid = containerd else { return }
        containerd = nil
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(10)
        while Self.isRunning(pid), ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if Self.isRunning(pid) { kill(pid, SIGKILL) }
    }

    /// Whether `pid` is alive and not a zombie.
    private static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(end, offsetBy: 2)...].hasPrefix("Z")
    }

    /// The processes whose parent is `pid`.
    private static func children(of pid: pid_t) -> [pid_t] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { pid_t($0) } ?? []
        return pids.filter { candidate in
            guard let stat = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8),
                  let end = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(end, offsetBy: 2)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == pid
        }
    }

    private var config: String {
        let cri = "plugins.\"io.containerd.grpc.v1.cri\""
        return """
        version = 2
        root = "\(root.path)/root"
        state = "\(root.path)/state"
        [grpc]
          address = "\(socket)"
        [ttrpc]
          address = "\(socket).ttrpc"
        [plugins."io.containerd.internal.v1.opt"]
          path = "\(root.path)/opt"
        [\(cri)]
          sandbox_image = "\(Self.image)"
          disable_cgroup = true
          restrict_oom_score_adj = true
          netns_mounts_under_state_dir = true
          disable_apparmor = true
          [\(cri).cni]
            bin_dir = "\(binDir)"
            conf_dir = "\(confDir)"
          [\(cri).containerd]
            snapshotter = "overlayfs"
            default_runtime_name = "runc"
            [\(cri).containerd.runtimes.runc]
              runtime_type = "io.containerd.runc.v2"
              [\(cri).containerd.runtimes.runc.options]
                SystemdCgroup = false
                Root = "\(root.path)/runc"

        """
    }
}
