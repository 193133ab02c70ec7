import NetworkModel
import Foundation
import Netlink
import Synchronization
import TestSupport
import Testing

@Suite("Dumps")
struct DumpTests {
    @Test("a dump the kernel interrupts (table changed mid-dump) is repeated and stays consistent")
    func interruptedDumpIsRepeated() throws {
        try withTestNamespace { namespace in
            let up = try UpLink(in: namespace)
            let base = try ip("10.50.0.0")
            // Enough addresses that one dump spans several datagrams.
            let fixed = (0..<1_500).map { IPPrefix(host: base.advanced(by: UInt128($0))!) }
            for address in fixed { try up.handle.addAddress(address, linkIndex: up.link.index) }
            let churn = try NetlinkHandle(namespacePath: namespace.path)
            let churned = try prefix("10.51.0.1/32")
            let reader = up.handle
            let linkIndex = up.link.index

            // The churn runs on a thread of its own, so a busy test pool cannot starve it, and in
            // bursts (5 ms of changes, 5 ms of quiet): a dump that starts in a burst is
            // interrupted, and its repetition can land in the quiet that follows.
            let stop = Atomic<Bool>(false)
            let finished = DispatchSemaphore(value: 0)
            Thread {
                while !stop.load(ordering: .relaxed) {
                    let burst = ContinuousClock.now + .milliseconds(5)
                    while ContinuousClock.now < burst {
                        try? churn.addAddress(churned, linkIndex: linkIndex)
                        try? churn.deleteAddress(churned, linkIndex: linkIndex)
                    }
                    Thread.sleep(forTimeInterval: 0.005)
                }
                finished.signal()
            }.start()
            defer {
                stop.store(true, ordering: .relaxed)
                finished.wait()
            }
            // A dump may also be interrupted on every attempt and give up with EINTR; what must
            // happen is a dump that was repeated and then came back whole.
            var repeatedThenWhole = false
            let deadline = ContinuousClock.now + .seconds(20)
            while !repeatedThenWhole && ContinuousClock.now < deadline {
                let repeatsBefore = reader.repeatedDumps
                do {
                    let listed = Set(try reader.addresses(linkIndex: linkIndex, family: .v4).map(\.prefix))
                    #expect(listed.isSuperset(of: fixed))
                    repeatedThenWhole = reader.repeatedDumps > repeatsBefore
                } catch let error as NetlinkError where error.errno == EINTR {
                    continue
                }
            }
            #expect(repeatedThenWhole)
        }
    }
}
