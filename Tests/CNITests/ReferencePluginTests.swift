import Foundation
import Testing
@testable import CNI

/// The reference `portmap` and `bandwidth` plugins (Debian's containernetworking-plugins, which
/// speak up to 1.0.0) follow Trellis in the conflist, so they must accept its result as
/// `prevResult`. Without port mappings or bandwidth limits both only parse the prevResult and
/// print it back, touching no namespace; Trellis must then read their output. A missing
/// plugin fails the test rather than skipping it: CI installs the package.
@Suite("Reference plugins and Trellis results")
struct ReferencePluginTests {
    static let versions: [CNIVersion] = [.v0_3_0, .v0_3_1, .v0_4_0, .v1_0_0]

    @Test("portmap and bandwidth accept the dual-stack result and echo it readably",
          arguments: ["portmap", "bandwidth"], versions)
    func acceptsPrevResult(plugin: String, version: CNIVersion) throws {
        let prev = text(Fixture.dualStackResult.json(version: version))
        let (stdout, status) = try invoke(plugin, config: """
            {"cniVersion":"\(version.rawValue)","name":"trellis","type":"\(plugin)","prevResult":\(prev)}
            """)
        #expect(status == 0, "\(plugin) said: \(text(stdout))")
        #expect(try CNIResult.decode(stdout) == Fixture.dualStackResult(writtenIn: version))
    }

    @Test("control: portmap rejects a prevResult whose address lacks a prefix length")
    func rejectsMalformedPrevResult() throws {
        let (stdout, status) = try invoke("portmap", config: """
            {"cniVersion":"1.0.0","name":"trellis","type":"portmap","prevResult":{"cniVersion":"1.0.0","ips":[{"address":"10.244.1.5"}]}}
            """)
        #expect(status != 0)
        #expect(text(stdout).contains("\"code\""))
    }

    /// Runs `/usr/lib/cni/<plugin>` with CNI_COMMAND=ADD and a netns path that does not exist.
    private func invoke(_ plugin: String, config: String) throws -> (Data, Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/lib/cni/\(plugin)")
        process.environment = ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": Fixture.containerID,
                               "CNI_NETNS": "/var/run/netns/trellis-test-absent",
                               "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(config.utf8))
        try input.fileHandleForWriting.close()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (stdout, process.terminationStatus)
    }
}
