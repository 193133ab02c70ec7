import ArgumentParser
import Foundation

/// `trellisd install-cni`: copies the plugin into the kubelet's CNI bin dir and writes the
/// conflist (trellis, then portmap), both atomically, so a runtime never runs a half-copied
/// binary or reads a half-written config. Run by the DaemonSet's init container.
struct InstallCNICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "install-cni",
                                                    abstract: "Install the trellis plugin and its conflist on this host.")

    /// The name of the conflist in the conf dir.
    static let conflistName = "10-trellis.conflist"

    /// The conflist kubelet's runtime reads: cniVersion 1.0.0 so that the reference portmap
    /// (which speaks up to 1.0.0) chains after trellis.
    static let conflist = """
    {
      "cniVersion": "1.0.0",
      "name": "trellis",
      "plugins": [
        {
          "type": "trellis",
          "logFile": "/var/log/trellis-cni.log",
          "logLevel": "info"
        },
        {
          "type": "portmap",
          "capabilities": { "portMappings": true },
          "snat": true
        }
      ]
    }

    """

    @Option(help: "The CNI bin dir the runtime executes plugins from.")
    var binDir: String = "/opt/cni/bin"

    @Option(help: "The CNI conf dir the runtime reads network configs from.")
    var confDir: String = "/etc/cni/net.d"

    @Option(help: "Where the trellis plugin binary is (default: beside trellisd).")
    var sourceDir: String?

    func run() throws {
        let source = (sourceDir ?? Self.executableDirectory) + "/trellis"
        guard let binary = FileManager.default.contents(atPath: source) else {
            throw ValidationError("cannot read the plugin at \(source); pass --source-dir")
        }
        try AtomicFile.write(binary, to: binDir + "/trellis", mode: 0o755)
        try AtomicFile.write(Data(Self.conflist.utf8), to: confDir + "/" + Self.conflistName)
        print("installed \(binDir)/trellis and \(confDir)/\(Self.conflistName)")
    }

    private static var executableDirectory: String {
        (URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path as NSString).deletingLastPathComponent
    }
}
