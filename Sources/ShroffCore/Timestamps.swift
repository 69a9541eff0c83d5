import Foundation

/// Writes and reads RFC 3339 times in the gateway's configured zone (default +08:00, Hong Kong).
public struct TimestampFormat: Sendable {
    public let utcOffsetSeconds: Int

    public init(utcOffsetSeconds: Int) {
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    /// Parses "+08:00", "-05:30" or "Z".
    public init?(offset: String) {
        if offset == "Z" || offset == "+00:00" { self.init(utcOffsetSeconds: 0); return }
        let chars = Array(offset)
        guard chars.count == 6, chars[0] == "+" || chars[0] == "-", chars[3] == ":",
              let hours = Int(String(chars[1...2])), let minutes = Int(String(chars[4...5])),
              hours <= 14, minutes < 60 else { return nil }
        let seconds = hours * 3600 + minutes * 60
        self.init(utcOffsetSeconds: chars[0] == "-" ? -seconds : seconds)
    }

    /// `2023-08-31T04:44:05.928+08:00`.
    public func string(from date: Date) -> String {
        let shifted = date.addingTimeInterval(TimeInterval(utcOffsetSeconds))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: shifted)
        let millis = Int((shifted.timeIntervalSince1970 * 1000).rounded(.down)) % 1000
        let sign = utcOffsetSeconds < 0 ? "-" : "+"
        let offset = abs(utcOffsetSeconds)
        let local = String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03d",
            c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!, (millis + 1000) % 1000
        )
        return local + sign + String(format: "%02d:%02d", offset / 3600, (offset % 3600) / 60)
    }

    /// Parses an RFC 3339 / ISO 8601 time with an offset, with or without fractional seconds.
    public static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
