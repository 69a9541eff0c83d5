import Foundation

/// A time as the wall clock of a fixed UTC offset shows it, written by hand: providers' answers and
/// files carry several times each, and a Foundation formatter (ICU underneath) built per call was a
/// tenth of the CPU of a create.
struct WallClockTime: Equatable {
    let year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    let utcOffsetSeconds: Int

    init(_ date: Date, utcOffsetSeconds: Int) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down)) + utcOffsetSeconds
        let (days, secondOfDay) = seconds.quotientAndRemainderFlooring(dividingBy: 86_400)
        (year, month, day) = Self.civil(daysSince1970: days)
        hour = secondOfDay / 3600
        minute = secondOfDay / 60 % 60
        second = secondOfDay % 60
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    /// `2026-12-03T19:04:05+08:00` (RFC 3339 without fractions).
    var iso8601: String {
        let sign = utcOffsetSeconds < 0 ? "-" : "+"
        let offset = abs(utcOffsetSeconds) / 60
        return "\(date)T\(time)\(sign)\(Self.pad(offset / 60, 2)):\(Self.pad(offset % 60, 2))"
    }

    /// `2026-12-03 19:04:05`
    var dateAndTime: String { "\(date) \(time)" }

    /// `20261203`
    var compactDate: String { "\(Self.pad(year, 4))\(Self.pad(month, 2))\(Self.pad(day, 2))" }

    private var date: String { "\(Self.pad(year, 4))-\(Self.pad(month, 2))-\(Self.pad(day, 2))" }
    private var time: String { "\(Self.pad(hour, 2)):\(Self.pad(minute, 2)):\(Self.pad(second, 2))" }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// The proleptic Gregorian date of a day count (Howard Hinnant's `civil_from_days`).
    private static func civil(daysSince1970 days: Int) -> (Int, Int, Int) {
        let shifted = days + 719_468
        let era = shifted.quotientAndRemainderFlooring(dividingBy: 146_097).quotient
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int {
    /// Division rounding towards minus infinity, so times before 1970 fall on the right day.
    fileprivate func quotientAndRemainderFlooring(dividingBy divisor: Int) -> (quotient: Int, remainder: Int) {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}
