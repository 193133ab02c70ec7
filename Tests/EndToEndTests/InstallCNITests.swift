import Foundation
import Testing
import TestSupport

/// `trellisd install-cni` as the DaemonSet's init container runs it: the release binary, writing
/// into a bin dir and a conf dir of the test's own.
@Suite struct InstallCNITests {
    static let trellisd = PluginProcess.binDir + "/trellisd"
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("cni-conf/10-trellis.conflist")

    /// A fresh bin dir and conf dir under one temporary root, removed afterwards.
    struct HostDirs {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-install-\(UUID().uuidString)")
        var binDir: String { root.appendingPathComponent("bin").path }
        var confDir: String { root.appendingPathComponent("net.d").path }
        var conflist: String { confDir + "/10-trellis.conflist" }

        init() throws {
            for dir in [binDir, confDir] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        }

        /// Runs `trellisd install-cni` into these dirs with `extra` flags; returns its stdout.
        @discardableResult
        func install(_ extra: [String] = []) throws -> String {
            try run([InstallCNITests.trellisd, "install-cni", "--bin-dir", binDir, "--conf-dir", confDir] + extra)
        }

        /// Every file in both dirs with its bytes.
        func contents() throws -> [String: Data] {
            var files: [String: Data] = [:]
            for dir in [binDir, confDir] {
                for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
                    files[dir + "/" + name] = FileManager.default.contents(atPath: dir + "/" + name)
                }
            }
            return files
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    @Test func installsThePluginAndTheRepositorysConflistAndNothingElse() throws {
        let dirs = try HostDirs()
        defer { dirs.remove() }
        let neighbours = [dirs.binDir + "/loopback": Data("other plugin".utf8),
                          dirs.confDir + "/99-loopback.conf": Data("{}".utf8)]
        for (path, data) in neighbours { try data.write(to: URL(fileURLWithPath: path)) }

        try dirs.install()
        let files = try dirs.contents()
        #expect(Set(files.keys) == Set(neighbours.keys).union([dirs.binDir + "/trellis", dirs.conflist]),
                "exactly the plugin and the conflist are added; no temporary file stays")
        for (path, data) in neighbours { #expect(files[path] == data, "\(path) is untouched") }
        #expect(files[dirs.binDir + "/trellis"] == FileManager.default.contents(atPath: PluginProcess.trellis))
        #expect(FileManager.default.isExecutableFile(atPath: dirs.binDir + "/trellis"))
        #expect(files[dirs.conflist] == (try Data(contentsOf: Self.example)),
                "with default flags the conflist is cni-conf/10-trellis.conflist, byte for byte")

        let conflist = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.example)) as? [String: Any])
        #expect(conflist["cniVersion"] as? String == "1.0.0", "what containerd 1.6 and podman 4.3 speak")
        #expect(conflist["cniVersions"] as? [String] == ["1.0.0", "1.1.0"])
        let plugins = conflist["plugins"] as? [[String: Any]] ?? []
        #expect(plugins.compactMap { $0["type"] as? String } == ["trellis", "portmap", "bandwidth"])
    }

    @Test func reinstallingReplacesItsOwnConflistWithTheNewFlags() throws {
        let dirs = try HostDirs()
        defer { dirs.remove() }
        try dirs.install()
        try dirs.install(["--run-dir", "/run/other", "--data-dir", "/var/lib/other", "--log-file", "/tmp/t.log"])
        let conflist = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dirs.conflist))) as? [String: Any]
        let trellis = try #require((conflist?["plugins"] as? [[String: Any]])?.first)
        #expect(trellis["runDir"] as? String == "/run/other")
        #expect(trellis["dataDir"] as? String == "/var/lib/other")
        #expect(trellis["logFile"] as? String == "/tmp/t.log")
    }

    @Test func aConflistItDidNotWriteIsLeftAloneUnlessForced() throws {
        let dirs = try HostDirs()
        defer { dirs.remove() }
        let operators = Data(#"{"cniVersion":"1.0.0","name":"trellis","plugins":[{"type":"trellis","mtu":1400}]}"#.utf8)
        try operators.write(to: URL(fileURLWithPath: dirs.conflist))

        let error = #expect(throws: CommandError.self) { try dirs.install() }
        #expect(error?.status != 0)
        #expect(error?.stderr.contains("was not written by trellisd install-cni") == true, "\(String(describing: error))")
        #expect(error?.stderr.contains("--force") == true)
        #expect(FileManager.default.contents(atPath: dirs.conflist) == operators, "the operator's file is unchanged")
        #expect(!FileManager.default.fileExists(atPath: dirs.binDir + "/trellis"), "nothing is installed")

        try dirs.install(["--force"])
        #expect(FileManager.default.contents(atPath: dirs.conflist) == (try Data(contentsOf: Self.example)))
    }

    @Test func warnsWhenAnotherConflistSortsFirst() throws {
        let dirs = try HostDirs()
        defer { dirs.remove() }
        try Data("{}".utf8).write(to: URL(fileURLWithPath: dirs.confDir + "/05-other.conflist"))
        let output = try dirs.install()
        #expect(output.contains("warning: \(dirs.confDir)/05-other.conflist sorts before 10-trellis.conflist"), "\(output)")
    }

    @Test func relativePluginPathsAreRefused() throws {
        let dirs = try HostDirs()
        defer { dirs.remove() }
        let error = #expect(throws: CommandError.self) { try dirs.install(["--run-dir", "run/trellis"]) }
        #expect(error?.stderr.contains("--run-dir run/trellis must be an absolute path") == true, "\(String(describing: error))")
        #expect(try dirs.contents().isEmpty)
    }
}
