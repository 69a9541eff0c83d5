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

    @Test func wapTexts() {
        let date = Date(timeIntervalSince1970: 951_782_399)  // 2000-02-28T23:59:59Z
        #expect(WAPTime.text(date) == "2000-02-29 07:59:59")
        #expect(WAPTime.day(date) == "20000229")
    }
}
