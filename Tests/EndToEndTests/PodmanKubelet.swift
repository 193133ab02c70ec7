import Foundation
import TestSupport

/// Runs a pod spec's containers with podman in a lab node's network namespace, with the settings
/// a kubelet over containerd gives them (LAB-NOTES.md, "Running a manifest's pod template under
/// podman"): the image as named, never pulled; `command` as the entrypoint and `args` after it;
/// `env` (downward-API `spec.nodeName` resolved) and `envFrom` ConfigMaps; containerd's default
/// capabilities plus the container's `add` minus its `drop`; each hostPath volume bind-mounted
/// from `nodeRoot` + its path (the node's own filesystem), created as its `type` says; the
/// service-account token and CA at the standard path with `KUBERNETES_SERVICE_HOST/PORT`;
/// hostNetwork as the node's namespace (`--network ns:`).
///
/// Podman keeps its storage, its containers and a copy of the image under a directory of its
/// own; every call goes through one holder process (a mount namespace with a private cgroup2
/// mount, the machine's hybrid cgroups being unusable by runc otherwise). `shutdown()` removes
/// every container, the holder and the directory.
final class PodmanKubelet {
    /// Capabilities containerd gives every container before `securityContext` adds or drops.
    static let runtimeDefaultCapabilities = ["CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
                                             "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",
                                             "AUDIT_WRITE"]

    /// What every container needs on this machine (LAB-NOTES.md): no pids controller in the
    /// private cgroup2 tree, and rlimits podman may not raise.
    static let machineFlags = ["--pids-limit=-1", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=1024:1024"]

    struct InCluster {
        var serviceHost: String
        var servicePort: String
        var token: String
        var caCertificate: String
    }

    let nodeName: String
    let namespace: String
    let nodeRoot: String
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-kubelet-\(UUID().uuidString.prefix(8))").path
    private var holder: Process?
    private var containers: [String] = []

    /// Starts the holder in `namespace` (a name under /run/netns) and copies `image` from the
    /// machine's podman storage into this kubelet's. Cleans up after itself when it throws.
    init(nodeName: String, namespace: String, nodeRoot: String, image: String, inCluster: InCluster) throws {
        self.nodeName = nodeName
        self.namespace = namespace
        self.nodeRoot = nodeRoot
        self.inCluster = inCluster
        do {
            let account = root + "/serviceaccount"
            try FileManager.default.createDirectory(atPath: account, withIntermediateDirectories: true)
            try inCluster.token.write(toFile: account + "/token", atomically: true, encoding: .utf8)
            try inCluster.caCertificate.write(toFile: account + "/ca.crt", atomically: true, encoding: .utf8)
            try "kube-system".write(toFile: account + "/namespace", atomically: true, encoding: .utf8)
            try """
            [network]
            network_backend = "cni"
            [engine]
            events_logger = "none"
            lock_type = "file"
            """.write(toFile: root + "/containers.conf", atomically: true, encoding: .utf8)
            try startHolder()
            let archive = root + "/image.tar"
            try TestSupport.run(["podman", "save", "-q", "-o", archive, image])
            try podman(["load", "-q", "-i", archive])
            try FileManager.default.removeItem(atPath: archive)
        } catch {
            shutdown()
            throw error
        }
    }

    private let inCluster: InCluster

    /// Runs `container` of `spec`: in the foreground to its end when `detached` is false (an init
    /// container; throws `CommandError` when it fails), else in the background. Returns the
    /// container's name.
    @discardableResult
    func run(_ container: PodSpec.Container, of spec: PodSpec, configMaps: [String: [String: String]],
             detached: Bool) throws -> String {
        let name = "\(nodeName)-\(container.name)"
        containers.append(name)
        let arguments = try runArguments(container, of: spec, configMaps: configMaps)
        guard detached else {
            try podman(["run", "--name", name] + arguments)
            return name
        }
        // Foundation's Process was seen never to notice the end of `podman run -d` (whose conmon
        // stays behind): system(3) waits for it with waitpid, its output goes to a file.
        guard let holder else { throw LabError(message: "no holder") }
        let output = root + "/\(name).out"
        let argv = ["nsenter", "-t", "\(holder.processIdentifier)", "-m", "-n"] + podmanCommand(["run", "--name", name, "-d"] + arguments)
        let quoted = argv.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        guard system(quoted + " </dev/null >'\(output)' 2>&1") == 0 else {
            throw LabError(message: "podman run -d \(name): \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
        }
        return name
    }

    /// The `podman run` arguments after the name, as a kubelet would start `container`.
    func runArguments(_ container: PodSpec.Container, of spec: PodSpec,
                      configMaps: [String: [String: String]]) throws -> [String] {
        guard spec.hostNetwork == true else { throw LabError(message: "the pod is not hostNetwork: this stand-in runs only those") }
        guard container.imagePullPolicy == "IfNotPresent" || container.imagePullPolicy == "Never" else {
            throw LabError(message: "\(container.name): imagePullPolicy \(container.imagePullPolicy ?? "(default)") would pull")
        }
        var arguments = ["--network", "ns:/run/netns/\(namespace)", "--pull", "never"] + Self.machineFlags
            + ["--security-opt", "seccomp=unconfined", "--cap-drop", "ALL"]
        let capabilities = container.securityContext?.capabilities
        guard container.securityContext?.privileged != true else { throw LabError(message: "\(container.name) is privileged") }
        let dropped = Set(capabilities?.drop ?? [])
        for capability in Self.runtimeDefaultCapabilities + (capabilities?.add ?? []) where !dropped.contains(capability) {
            arguments += ["--cap-add", capability]
        }
        var environment: [(String, String)] = [("KUBERNETES_SERVICE_HOST", inCluster.serviceHost),
                                               ("KUBERNETES_SERVICE_PORT", inCluster.servicePort)]
        for source in container.envFrom ?? [] {
            guard let name = source.configMapRef?.name, let data = configMaps[name] else {
                throw LabError(message: "\(container.name): envFrom names no ConfigMap of the manifest")
            }
            environment += data.sorted { $0.key < $1.key }
        }
        for variable in container.env ?? [] {
            if let value = variable.value {
                environment.append((variable.name, value))
            } else if variable.valueFrom?.fieldRef?.fieldPath == "spec.nodeName" {
                environment.append((variable.name, nodeName))
            } else {
                throw LabError(message: "\(container.name): env \(variable.name) has a source this stand-in does not resolve")
            }
        }
        arguments += environment.flatMap { ["--env", "\($0.0)=\($0.1)"] }
        for mount in container.volumeMounts ?? [] {
            guard let hostPath = spec.volumes?.first(where: { $0.name == mount.name })?.hostPath else {
                throw LabError(message: "\(container.name): volume \(mount.name) is no hostPath volume of the pod")
            }
            let source = nodeRoot + hostPath.path
            switch hostPath.type {
            case "DirectoryOrCreate":
                try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
            case "FileOrCreate":
                try FileManager.default.createDirectory(atPath: (source as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
                if !FileManager.default.fileExists(atPath: source) { FileManager.default.createFile(atPath: source, contents: nil) }
            default:
                throw LabError(message: "volume \(mount.name): hostPath type \(hostPath.type ?? "\"\"") is not modelled here")
            }
            arguments += ["-v", "\(source):\(mount.mountPath)" + (mount.readOnly == true ? ":ro" : "")]
        }
        if spec.automountServiceAccountToken != false {
            arguments += ["-v", "\(root)/serviceaccount:/var/run/secrets/kubernetes.io/serviceaccount:ro"]
        }
        if let command = container.command {
            let entrypoint = try JSONSerialization.data(withJSONObject: command)
            arguments += ["--entrypoint", String(decoding: entrypoint, as: UTF8.self)]
        }
        return arguments + [container.image] + (container.args ?? [])
    }

    /// Runs `podman ARGUMENTS` with this kubelet's storage, through the holder; returns stdout.
    @discardableResult
    func podman(_ arguments: [String]) throws -> String {
        try inHolder(podmanCommand(arguments))
    }

    /// The command line of `podman ARGUMENTS` on this kubelet's configuration and storage.
    private func podmanCommand(_ arguments: [String]) -> [String] {
        ["env", "CONTAINERS_CONF=\(root)/containers.conf", "podman",
         "--root", root + "/storage", "--runroot", root + "/run", "--tmpdir", root + "/tmp", "--storage-driver", "vfs",
         "--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "none"] + arguments
    }

    /// Runs `argv` in the holder's mount and network namespaces; returns stdout.
    private func inHolder(_ argv: [String]) throws -> String {
        guard let holder else { throw LabError(message: "no holder") }
        return try TestSupport.run(["nsenter", "-t", "\(holder.processIdentifier)", "-m", "-n"] + argv)
    }

    /// The exit code of a container that has stopped.
    func exitCode(_ container: String) throws -> Int {
        Int(try podman(["inspect", "--format", "{{.State.ExitCode}}", container])
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Removes every container (stopping it first, SIGTERM then SIGKILL after 10 s), stops the
    /// holder and deletes the storage. Never throws.
    func shutdown() {
        for container in containers.reversed() { _ = try? podman(["rm", "-f", "-t", "10", container]) }
        containers = []
        _ = try? podman(["rmi", "-a", "-f"])
        if let holder, holder.isRunning {
            holder.terminate()
            holder.waitUntilExit()
        }
        holder = nil
        try? FileManager.default.removeItem(atPath: root)
    }

    private func startHolder() throws {
        holder = try startNamespaceHolder(in: namespace, setUp: "mount -t cgroup2 none /sys/fs/cgroup")
    }
}
