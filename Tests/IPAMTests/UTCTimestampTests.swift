import Foundation
import Testing
@testable import IPAM

@Suite struct UTCTimestampTests {
    @Test(arguments: [0.0, 1_790_000_000, 1_790_000_000.75, 951_782_400])  // 951782400: 2000-02-29
    func writesWhatJSONEncodersISO8601WritesAndReadsItBack(seconds: Double) throws {
        let date = Date(timeIntervalSince1970: seconds)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let foundation = try JSONDecoder().decode(String.self, from: encoder.encode(date))
        #expect(UTCTimestamp.string(from: date) == foundation)
        #expect(UTCTimestamp.date(from: foundation) == Date(timeIntervalSince1970: seconds.rounded(.down)))
    }

    @Test(arguments: ["", "2026-11-23 21:55:00Z", "2026-11-23T21:55:00+01:00", "2026-13-01T00:00:00Z", "2026-1a-01T00:00:00Z"])
    func anythingElseIsNotATimestamp(text: String) {
        #expect(UTCTimestamp.date(from: text) == nil)
    }
}
