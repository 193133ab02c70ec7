import ArgumentParser
import IPAM

/// `cnictl ipam show`: slices, counts, one row per allocation, corrupt records.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "List the slices and every allocation, sorted by address.")

    @OptionGroup var options: StoreOptions

    @Option(help: "Where the agent writes node.json (the node's slices).")
    var runDir = "/run/trellis"

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let report = try IPAMReport.load(store: options.store(), runDir: runDir)
        print(json ? try report.json() : report.table(), terminator: json ? "\n" : "")
    }
}
