import Foundation

/// How the sandbox writes the providers' daily settlement files (docs/settlement-formats.md).
public struct SandboxSettlementConfiguration: Sendable {
    /// The folder the files go to, laid out like the providers' SFTP; nil writes no files.
    public var folder: String?
    /// The provider's fee in basis points of each line's settlement amount (180 = 1.8 %),
    /// rounded half away from zero to the settlement currency's minor unit.
    public var feeBasisPoints: Int
    /// The zone whose midnight ends a settlement day, and in which AMS files write times.
    public var utcOffsetSeconds: Int
    /// Tells the time and waits for each day's end; tests pass a clock they move themselves.
    public var clock: any SandboxClock

    public init(
        folder: String? = nil, feeBasisPoints: Int = 180, utcOffsetSeconds: Int = 8 * 3600, clock: any SandboxClock = SystemSandboxClock()
    ) {
        self.folder = folder
        self.feeBasisPoints = feeBasisPoints
        self.utcOffsetSeconds = utcOffsetSeconds
        self.clock = clock
    }
}

/// The time as the sandbox's daily settlement run sees it.
public protocol SandboxClock: Sendable {
    func now() -> Date
    /// Returns once `deadline` has passed; throws when the waiting task is cancelled.
    func sleep(until deadline: Date) async throws
}

/// The wall clock.
public struct SystemSandboxClock: SandboxClock {
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSinceNow
        if seconds > 0 { try await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded(.up)))) }
    }
}

/// A calendar day in the settlement zone: the files of day D hold what succeeded from D's
/// midnight to the next.
struct SandboxSettlementDay: Sendable, Hashable, CustomStringConvertible {
    let year: Int
    let month: Int
    let day: Int

    /// `YYYY-MM-DD`, a real date.
    init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              text.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return nil }
        let components = DateComponents(year: year, month: month, day: day)
        guard components.isValidDate(in: Self.calendar(offset: 0)) else { return nil }
        (self.year, self.month, self.day) = (year, month, day)
    }

    /// The day `date` falls on in the zone.
    init(containing date: Date, utcOffsetSeconds: Int) {
        let parts = Self.calendar(offset: utcOffsetSeconds).dateComponents([.year, .month, .day], from: date)
        (year, month, day) = (parts.year!, parts.month!, parts.day!)
    }

    var description: String { String(format: "%04d-%02d-%02d", year, month, day) }
    /// `yyyyMMdd`, as the providers name folders and files.
    var compact: String { String(format: "%04d%02d%02d", year, month, day) }

    func start(utcOffsetSeconds: Int) -> Date {
        Self.calendar(offset: utcOffsetSeconds).date(from: DateComponents(year: year, month: month, day: day))!
    }

    /// The next midnight: the day's cut-off, and its settlement time.
    func end(utcOffsetSeconds: Int) -> Date {
        Self.calendar(offset: utcOffsetSeconds).date(byAdding: .day, value: 1, to: start(utcOffsetSeconds: utcOffsetSeconds))!
    }

    func contains(_ date: Date, utcOffsetSeconds: Int) -> Bool {
        date >= start(utcOffsetSeconds: utcOffsetSeconds) && date < end(utcOffsetSeconds: utcOffsetSeconds)
    }

    private static func calendar(offset: Int) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: offset)!
        return calendar
    }
}
