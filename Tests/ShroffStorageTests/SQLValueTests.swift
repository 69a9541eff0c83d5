import Foundation
import ShroffStorage
import Testing

@Suite("Bound values")
struct SQLValueTests {
    @Test("a time is bound as its milliseconds since 1970, rounded")
    func millis() {
        #expect(Date(timeIntervalSince1970: 1_700_000_000.1234).sqlValue == .integer(1_700_000_000_123))
        #expect(Date(timeIntervalSince1970: -1.5).sqlValue == .integer(-1500))
    }

    @Test("a time beyond the year 9999 either way is clamped, never a trap")
    func farTimes() {
        #expect(Date(timeIntervalSince1970: 9_223_372_036_854_775.807).sqlValue == .integer(253_402_300_799_999))
        #expect(Date(timeIntervalSince1970: 1e300).sqlValue == .integer(253_402_300_799_999))
        #expect(Date(timeIntervalSince1970: -1e300).sqlValue == .integer(-253_402_300_799_999))
        #expect(Date.distantFuture.sqlValue == .integer(Int64((Date.distantFuture.timeIntervalSince1970 * 1000).rounded())))
        #expect(Date(timeIntervalSince1970: .nan).sqlValue == .integer(0))
    }
}
