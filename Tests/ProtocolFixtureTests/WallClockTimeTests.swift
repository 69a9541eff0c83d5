import Foundation
import Testing

@testable import ShroffSandbox

/// The sandbox's hand-written time text against Foundation's formatters, over a spread of times
/// (before 1970, leap days, the end of a century, offsets either side of UTC; after 1582, where
/// Foundation switches to the Julian calendar and RFC 3339 stays Gregorian).
@Suite("Wall-clock time text")
struct WallClockTimeTests {
    static let seconds: [Int64] = [
        0, -1, -86_400 * 365 - 1, 951_782_399, 951_868_800, 4_107_542_399, 1_764_756_245, 253_402_300_799, -2_208_988_800,
    ] + (0..<200).map { Int64($0) * 12_345_678_901 % 4_000_000_000 - 1_000_000_000 }

    @Test(arguments: [8 * 3600, 0, -(5 * 3600 + 30 * 60), 14 * 3600])
    func agreesWithFoundation(offset: Int) {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: offset)
        formatter.formatOptions = [.withInternetDateTime]
        for second in Self.seconds {
            let date = Date(timeIntervalSince1970: TimeInterval(second) + 0.75)
            let expected = formatter.string(from: date).replacingOccurrences(of: "Z", with: "+00:00")
            #expect(WallClockTime(date, utcOffsetSeconds: offset).iso8601 == expected, "\(second)")
        }
    }

    @Test(arguments: [8 * 3600, 0, -(5 * 3600 + 30 * 60)])
    func readsWhatItWrites(offset: Int) {
        // RFC 3339 has four-digit years: the last second of 9999 UTC is in 10000 east of UTC.
        for second in Self.seconds where second < 253_402_000_000 {
            let date = Date(timeIntervalSince1970: TimeInterval(second))
            #expect(WallClockTime.date(rfc3339: WallClockTime(date, utcOffsetSeconds: offset).iso8601) == date, "\(second)")
        }
    }

    @Test func readsFractionsAndZulu() {
        #expect(WallClockTime.date(rfc3339: "2023-08-31T04:44:05.928+08:00") == Date(timeIntervalSince1970: 1_693_428_245.928))
        #expect(WallClockTime.date(rfc3339: "1970-01-01T00:00:00Z") == Date(timeIntervalSince1970: 0))
        #expect(WallClockTime.date(rfc3339: "2000-02-29T12:00:00.5z") == Date(timeIntervalSince1970: 951_825_600.5))
    }

    @Test(arguments: [
        "", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-03T24:00:00Z",
        "2026-12-03 19:04:05+08:00", "2026-12-03T19:04:05", "2026-12-03T19:04:05+0800", "2026-12-03T19:04:05.Z",
        "2026-12-03T19:04:05+08:00x", "٢٠٢٦-12-03T19:04:05Z", "2026-12-03T1９:04:05Z", "+2026-12-03T19:04:05Z",
    ])
    func refuses(text: String) {
        #expect(WallClockTime.date(rfc3339: text) == nil)
    }

    @Test func wapTexts() {
        let date = Date(timeIntervalSince1970: 951_782_399)  // 2000-02-28T23:59:59Z
        #expect(WAPTime.text(date) == "2000-02-29 07:59:59")
        #expect(WAPTime.day(date) == "20000229")
    }
}
