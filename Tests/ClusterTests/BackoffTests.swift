import Testing
@testable import Cluster

@Suite("Backoff")
struct BackoffTests {
    @Test("delays double from the initial delay up to the cap, jittered into [d/2, d], and reset")
    func doublingCappedJittered() {
        var backoff = Backoff(RetryPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1)))
        var generator = SystemRandomNumberGenerator()
        let ceilings: [Duration] = [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
                                    .seconds(1), .seconds(1)]
        for ceiling in ceilings {
            let delay = backoff.nextDelay(using: &generator)
            #expect(delay >= ceiling / 2 && delay <= ceiling)
        }
        backoff.reset()
        #expect(backoff.nextDelay(using: &generator) <= .milliseconds(100))
    }

    @Test("the keepalive interval is a third of the TTL, at most five minutes")
    func keepaliveInterval() {
        #expect(LeaseKeeper.interval(ttl: 3) == .seconds(1))
        #expect(LeaseKeeper.interval(ttl: 24 * 3600) == .seconds(300))
    }
}
