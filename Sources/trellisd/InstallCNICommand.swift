import ArgumentParser
import IPAM
import FoundationEssentials

/// `trellisd install-cni`: copies the plugin into the kubelet's CNI bin dir and writes the
/// conflist (trellis, then portmap, then bandwidth), both atomically, so a runtime never runs a
/// half-copied binary or reads a half-written config. Run by the DaemonSet's init container.
///
/// It writes exactly two files, `<bin-dir>/trellis` and `<conf-dir>/10-trellis.conflist`, and
/// touches nothing else in either folder. A conflist of that name that install-cni did not write
/// (it lacks ``InstalledConflist/markerKey``) is left alone and the command fails, unless
/// `--force`.
struct InstallCNICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "install-cni",
                                                    abstract: "Install the trellis plugin and its conflist on this host.")

    /// The name of the conflist in the conf dir.
    static let conflistName = InstalledConflist.fileName

    @Option(help: "The CNI bin dir the runtime executes plugins from.")
    var binDir: String = "/opt/cni/bin"

    @Option(help: "The CNI conf dir the runtime reads network configs from.")
    var confDir: String = "/etc/cni/net.d"

    @Option(help: "Where the trellis plugin binary is (default: beside trellisd).")
    var sourceDir: String?

    @Option(help: "Where the agent writes node.json (the agent's --run-dir), for the plugin.")
    var runDir: String = InstalledConflist.defaultRunDir

    @Option(help: "Root of the plugin's address store.")
    var dataDir: String = InstalledConflist.defaultDataDir

    @Option(help: "The plugin's log file.")
    var logFile: String = InstalledConflist.defaultLogFile

    @Flag(help: "Overwrite a conflist of the same name that install-cni did not write.")
    var force = false

    func validate() throws {
        for (flag, path) in [("--run-dir", runDir), ("--data-dir", dataDir), ("--log-file", logFile)]
        where !path.hasPrefix("/") {
            throw ValidationError("\(flag) \(path) must be an absolute path: the runtime runs the plugin from its own working directory")
        }
    }

    func run() throws {
        let source = (sourceDir ?? Self.executableDirectory) + "/trellis"
        guard let binary = FileManager.default.contents(atPath: source) else {
            throw ValidationError("cannot read the plugin at \(source); pass --source-dir")
        }
        let conflistPath = confDir + "/" + Self.conflistName
        if !force, let existing = FileManager.default.contents(atPath: conflistPath),
           !InstalledConflist.isInstalled(existing) {
            throw ValidationError("\(conflistPath) exists and was not written by trellisd install-cni; left unchanged (pass --force to replace it)")
        }
        let conflist = InstalledConflist(runDir: runDir, dataDir: dataDir, logFile: logFile)
        try AtomicFile.write(Array(binary), to: binDir + "/trellis", mode: 0o755)
        try AtomicFile.write(Array(conflist.text.utf8), to: conflistPath)
        print("installed \(binDir)/trellis and \(conflistPath)")
        if let first = InstalledConflist.firstConfig(inDirectory: confDir), first != Self.conflistName {
            print("warning: \(confDir)/\(first) sorts before \(Self.conflistName): a runtime that loads one network (containerd, CRI-O) uses \(first), not trellis")
        }
    }

    private static var executableDirectory: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
    }
}

/// The conflist install-cni writes: trellis, then the reference `portmap` (hostPort, kubelet's
/// `portMappings` capability) and `bandwidth` (kubelet's bandwidth annotations).
///
/// `cniVersion` is 1.0.0, the newest that containerd 1.6's and podman 4.3's libcni and Debian's
/// reference plugins speak; `cniVersions` also offers 1.1.0 to a libcni that reads it (it picks
/// the newest version it knows). A top-level ``markerKey`` marks the file as install-cni's own;
/// libcni ignores keys it does not know.
struct InstalledConflist: Equatable {
    /// The file name in the conf dir; `10-` sorts it ahead of most runtimes' defaults.
    static let fileName = "10-trellis.conflist"
    /// The key whose presence (with ``markerValue``) says install-cni wrote the file.
    static let markerKey = "trellis.installedBy"
    static let markerValue = "trellisd install-cni"
    static let defaultRunDir = "/run/trellis"
    static let defaultDataDir = "/var/lib/cni/trellis"
    static let defaultLogFile = "/var/log/trellis-cni.log"

    var runDir = InstalledConflist.defaultRunDir
    var dataDir = InstalledConflist.defaultDataDir
    var logFile = InstalledConflist.defaultLogFile

    /// The file's bytes, as `cni-conf/10-trellis.conflist` shows them for the defaults.
    var text: String {
        """
        {
          "cniVersion": "1.0.0",
          "cniVersions": ["1.0.0", "1.1.0"],
          "name": "trellis",
          "\(Self.markerKey)": "\(Self.markerValue)",
          "plugins": [
            {
              "type": "trellis",
              "runDir": \(Self.quoted(runDir)),
              "dataDir": \(Self.quoted(dataDir)),
              "logFile": \(Self.quoted(logFile)),
              "logLevel": "info"
            },
            {
              "type": "portmap",
              "capabilities": { "portMappings": true },
              "snat": true
            },
            {
              "type": "bandwidth",
              "capabilities": { "bandwidth": true }
            }
          ]
        }

        """
    }

    /// Whether `data` is a conflist install-cni wrote: a JSON object carrying the marker.
    static func isInstalled(_ data: Data) -> Bool {
        (try? JSONDecoder().decode(Marker.self, from: data))?.installedBy == markerValue
    }

    /// The marker, the one key of the file this needs to read.
    private struct Marker: Decodable {
        var installedBy: String?
        enum CodingKeys: String, CodingKey { case installedBy = "trellis.installedBy" }
    }

    /// The network config a single-network runtime loads from `directory`: the first `.conf`,
    /// `.conflist` or `.json` file by name, as libcni orders them; `nil` when there is none.
    static func firstConfig(inDirectory directory: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { name in [".conf", ".conflist", ".json"].contains { name.hasSuffix($0) } }.sorted().first
    }

    /// `text` as a JSON string literal (encoding a string cannot fail).
    private static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return String(decoding: try! encoder.encode(text), as: UTF8.self)
    }
}
