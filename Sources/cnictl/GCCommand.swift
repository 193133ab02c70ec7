import ArgumentParser
import IPAM
import PodNetwork

/// `cnictl ipam gc`: frees allocations whose pod network namespace is gone, and removes Trellis
/// host veths that no allocation owns.
struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Free every allocation whose recorded network namespace no longer exists, and remove host veths no allocation owns.",
        discussion: """
            Run it on the host (or with the host's /run and /var/run mounted), in the node's network \
            namespace: where the runtime's netns paths are not visible, every allocation looks \
            orphaned, so when none of them is visible nothing is freed unless --force. A `trl…` \
            veth whose attachment holds no allocation (a crash between steps) is deleted. Corrupt \
            records are left alone, and while there are any no veth is deleted; free them with \
            `cnictl ipam release IP`.
            """)

    @OptionGroup var options: StoreOptions

    @Flag(help: "Free the allocations even when none of their network namespaces is visible.")
    var force = false

    func run() throws {
        let done = try PodWiring().collectGarbage(in: options.store()) { try $0.releaseOrphans(force: force) }
        for record in done.released { print("released \(record.summary): netns \(record.pod.netns) is gone") }
        for veth in done.removedVeths { print("removed host veth \(veth): no allocation owns it") }
        if !done.corrupt.isEmpty {
            print("kept every host veth: \(done.corrupt.count) corrupt records have unknown holders (cnictl ipam release IP)")
        }
        if done.released.isEmpty && done.removedVeths.isEmpty { print("no orphaned allocations or veths") }
    }
}
