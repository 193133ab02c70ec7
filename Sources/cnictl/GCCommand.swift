import ArgumentParser
import IPAM

/// `cnictl ipam gc`: frees allocations whose pod network namespace is gone.
struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Free every allocation whose recorded network namespace no longer exists.",
        discussion: """
            Run it on the host (or with the host's /run and /var/run mounted): where the runtime's \
            netns paths are not visible, every allocation looks orphaned. Corrupt records are left \
            alone; free them with `cnictl ipam release IP`.
            """)

    @OptionGroup var options: StoreOptions

    func run() throws {
        let released = try options.store().releaseOrphans()
        if released.isEmpty { print("no orphaned allocations") }
        for record in released { print("released \(record.summary): netns \(record.pod.netns) is gone") }
    }
}
