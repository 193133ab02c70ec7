import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Dates as the store and the plugin's log write them: ISO 8601 in UTC to the second
/// (`2026-11-23T21:55:00Z`, what `JSONEncoder`'s `.iso8601` strategy writes), converted with
/// `gmtime_r`/`timegm` instead of Foundation's calendar, whose set-up (a time-zone lookup, a
/// Gregorian calendar) cost every plugin process more than the rest of its JSON work.
public enum UTCTimestamp {
    /// `date` as `YYYY-MM-DDTHH:MM:SSZ` (fractions of a second dropped).
    public static func string(from date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(digits(parts.tm_year + 1900, 4))-\(digits(parts.tm_mon + 1, 2))-\(digits(parts.tm_mday, 2))T"
            + "\(digits(parts.tm_hour, 2)):\(digits(parts.tm_min, 2)):\(digits(parts.tm_sec, 2))Z"
    }

    /// The date `text` names, or `nil` unless it is exactly `YYYY-MM-DDTHH:MM:SSZ`.
    public static func date(from text: String) -> Date? {
        let bytes = Array(text.utf8)
        let separators: [(Int, Character)] = [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "Z")]
        guard bytes.count == 20, separators.allSatisfy({ bytes[$0.0] == UInt8(ascii: $0.1.unicodeScalars.first!) }) else {
            return nil
        }
        func number(_ range: Range<Int>) -> Int32? {
            bytes[range].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
                ? bytes[range].reduce(0) { $0 * 10 + Int32($1 - UInt8(ascii: "0")) } : nil
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
