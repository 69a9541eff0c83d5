import Foundation

/// What a store hands an engine, and what it reads back: the four kinds of value the stores keep.
/// Times are integer milliseconds since 1970 and amounts integer minor units, on every engine.
public enum SQLValue: Sendable, Equatable {
    case integer(Int64)
    case text(String)
    case bytes([UInt8])
    case null
}

/// One statement: its SQL, with `?` for every bound value, and the values in order. The text of a
/// store's statement never depends on the values, only on the engine's dialect (and, for a filter
/// or a list, on how many there are), so an engine may cache what it makes of a text.
public struct SQLStatement: Sendable {
    public let sql: String
    public let binds: [SQLValue]

    public init(_ sql: String, _ binds: [any SQLBindable] = []) {
        self.sql = sql
        self.binds = binds.map(\.sqlValue)
    }
}

/// A value that can be bound to a `?`.
public protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

extension SQLValue: SQLBindable {
    public var sqlValue: SQLValue { self }
}

extension String: SQLBindable {
    public var sqlValue: SQLValue { .text(self) }
}

extension Int64: SQLBindable {
    public var sqlValue: SQLValue { .integer(self) }
}

extension Int: SQLBindable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Array: SQLBindable where Element == UInt8 {
    public var sqlValue: SQLValue { .bytes(self) }
}

extension Date: SQLBindable {
    /// Milliseconds since 1970, rounded: how every store keeps a time. Clamped to the years
    /// -9999…9999, so that no time, however far off (a hostile page cursor, `Date.distantFuture`),
    /// traps the conversion to an integer.
    public var sqlValue: SQLValue {
        let millis = (timeIntervalSince1970 * 1000).rounded()
        guard !millis.isNaN else { return .integer(0) }
        return .integer(Int64(min(max(millis, -Self.storedMillisBound), Self.storedMillisBound)))
    }

    /// 9999-12-31T23:59:59.999Z in milliseconds.
    static let storedMillisBound = 253_402_300_799_999.0

    init(storedMillis millis: Int64) { self.init(timeIntervalSince1970: TimeInterval(millis) / 1000) }
}

extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// One connection for the length of a body: runs its statements in order.
public protocol SQLSession: Sendable {
    @discardableResult
    func run(_ statement: SQLStatement) async throws -> [SQLRow]
}

extension SQLSession {
    @discardableResult
    public func run(_ sql: String, _ binds: any SQLBindable...) async throws -> [SQLRow] {
        try await run(SQLStatement(sql, binds))
    }
}

/// A database engine, as the shared stores (`SQLStore`) use it: sessions that read, that write and
/// that run one transaction, and the engine's SQL dialect. Everything else is written once.
public protocol SQLEngine: Sendable {
    var dialect: SQLDialect { get }
    /// Whether no other process can use this database (an embedded file): then a lease found in it
    /// was taken by an earlier run of this process.
    var isExclusiveToThisProcess: Bool { get }
    /// Runs `body`, whose statements only read, on one connection outside a transaction.
    @discardableResult
    func read<T: Sendable>(_ body: (any SQLSession) async throws -> T) async throws -> T
    /// Runs `body`, whose statements may write, each of them atomic on its own.
    @discardableResult
    func write<T: Sendable>(_ body: (any SQLSession) async throws -> T) async throws -> T
    /// Runs `body` in one transaction, all of it or nothing, rolled back if it throws; the engine may
    /// run it again after a conflict with another transaction. What it decides on what it read still
    /// holds when it commits: the engine serialises its transactions, or `SQLDialect.lockForUpdate`
    /// locks the rows read.
    @discardableResult
    func transaction<T: Sendable>(_ body: (any SQLSession) async throws -> T) async throws -> T
    /// Throws unless the database answers (the readiness probe).
    func ping() async throws
}

/// A row of a result: its values by column name.
public struct SQLRow: Sendable {
    let columns: SQLColumns
    let values: [SQLValue]

    public init(columns: SQLColumns, values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value of `column`; throws if the result has no such column.
    public func value(_ column: String) throws -> SQLValue {
        guard let index = columns.index[column], index < values.count else { throw StoredDataError(column: column) }
        return values[index]
    }

    func optionalText(_ column: String) throws -> String? {
        switch try value(column) {
        case .null: return nil
        case .text(let text): return text
        default: throw StoredDataError(column: column)
        }
    }

    func optionalInt64(_ column: String) throws -> Int64? {
        switch try value(column) {
        case .null: return nil
        case .integer(let integer): return integer
        default: throw StoredDataError(column: column)
        }
    }

    func text(_ column: String) throws -> String {
        guard let text = try optionalText(column) else { throw StoredDataError(column: column) }
        return text
    }

    func int64(_ column: String) throws -> Int64 {
        guard let integer = try optionalInt64(column) else { throw StoredDataError(column: column) }
        return integer
    }

    func date(_ column: String) throws -> Date { Date(storedMillis: try int64(column)) }

    func optionalDate(_ column: String) throws -> Date? { try optionalInt64(column).map(Date.init(storedMillis:)) }

    func bytes(_ column: String) throws -> [UInt8] {
        guard case .bytes(let bytes) = try value(column) else { throw StoredDataError(column: column) }
        return bytes
    }
}

/// The column names of a result, shared by its rows. A name that appears twice means its first column.
public struct SQLColumns: Sendable {
    let index: [String: Int]

    public init(_ names: [String]) {
        index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// A stored row that does not read back as the domain expects (a bug or a hand-edited database).
public struct StoredDataError: Error, CustomStringConvertible {
    public let column: String

    public init(column: String) {
        self.column = column
    }

    public var description: String { "unreadable stored value in \(column)" }
}
