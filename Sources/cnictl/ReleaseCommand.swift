import NetworkModel
import ArgumentParser
import IPAM

/// `cnictl ipam release IP|CONTAINER-ID`: frees an address, or every address of a container.
struct ReleaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Free one address (also a corrupt record) or all addresses of a container.",
        discussion: "A container ID may be shortened as `cnictl ipam show` prints it, if unambiguous.")

    @OptionGroup var options: StoreOptions

    @Argument(help: "An IP address or a container ID (or a unique prefix of one).")
    var target: String

    func run() throws {
        let store = try options.store()
        if let address = IPAddress(target) {
            guard try store.release(address: address) else { throw notAllocated() }
            print("released \(address)")
        } else {
            let released = try store.release(containerIDPrefix: target)
            guard !released.isEmpty else { throw notAllocated() }
            for record in released { print("released \(record.summary)") }
        }
    }

    private func notAllocated() -> NothingAllocated {
        NothingAllocated(network: options.network, target: target)
    }
}

/// `release` found nothing to free: exit status 1, so a mistyped ID does not pass silently.
struct NothingAllocated: Error, CustomStringConvertible {
    let network: String
    let target: String

    var description: String { "nothing in network \(network) is allocated to \(target)" }
}
