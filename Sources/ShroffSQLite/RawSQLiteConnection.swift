import ShroffStorage
import Synchronization
// The SQLite that sqlite-nio builds (its symbols prefixed `sqlite_nio_`), driven through its C API:
// SQLiteNIO's connection prepares every statement anew and runs each on a hop to NIO's thread pool,
// and a statement of the stores takes a few microseconds in SQLite itself, far less than the hop and
// the prepare (issue 18).
import VaporCSQLite

/// A connection to the database file, driven through SQLite's C API on the calling thread, with its
/// prepared statements cached by their SQL (a store's statement text never depends on its values,
/// `SQLStatement`). One holder at a time uses it (`ConnectionPool`); the mutex makes that safe
/// regardless. A statement that may wait for another connection's lock (`BEGIN IMMEDIATE`) or for
/// the disk (`COMMIT`) is run off the caller's thread by `SQLiteDatabase`.
final class RawSQLiteConnection: Sendable {
    private let state: Mutex<State>

    private struct State {
        var handle: OpaquePointer?
        var statements: [String: Prepared] = [:]
        var statementsRun = 0
    }

    /// A prepared statement and the names of its result columns.
    private struct Prepared {
        let statement: OpaquePointer
        let columns: SQLColumns
        let columnCount: Int32
    }

    /// The most statements kept per connection: the stores have fewer distinct read statements
    /// (list filters vary with how many values they have); past it the cache starts again.
    static let statementCacheLimit = 256

    /// Opens the file, read-only or read-write (creating it), waiting up to 10 s for another
    /// connection's lock (another process may hold the write lock for a moment).
    init(path: String, readOnly: Bool) throws {
        var handle: OpaquePointer?
        let mode = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, mode | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nil)
        guard status == SQLITE_OK, let handle else {
            let error = SQLiteFailure(status: status, handle: handle)
            sqlite_nio_sqlite3_close_v2(handle)
            throw error
        }
        sqlite_nio_sqlite3_busy_timeout(handle, 10_000)
        state = Mutex(State(handle: handle))
    }

    @discardableResult
    func run(_ sql: String, _ binds: any SQLBindable...) throws -> [SQLRow] {
        try run(SQLStatement(sql, binds))
    }

    /// Runs one statement to its end and returns its rows.
    @discardableResult
    func run(_ statement: SQLStatement) throws -> [SQLRow] {
        try state.withLock { state in
            guard let handle = state.handle else { throw SQLiteFailure(status: SQLITE_MISUSE, message: "connection closed") }
            state.statementsRun &+= 1
            let prepared = try Self.prepared(statement.sql, in: &state, handle: handle)
            let raw = prepared.statement
            defer {
                sqlite_nio_sqlite3_reset(raw)
                sqlite_nio_sqlite3_clear_bindings(raw)
            }
            for (offset, value) in statement.binds.enumerated() {
                let status = Self.bind(value, at: Int32(offset + 1), to: raw)
                guard status == SQLITE_OK else { throw SQLiteFailure(status: status, handle: handle) }
            }
            var rows: [SQLRow] = []
            while true {
                let status = sqlite_nio_sqlite3_step(raw)
                if status == SQLITE_DONE { return rows }
                guard status == SQLITE_ROW else { throw SQLiteFailure(status: status, handle: handle) }
                var values: [SQLValue] = []
                values.reserveCapacity(Int(prepared.columnCount))
                for column in 0..<prepared.columnCount { values.append(try Self.value(of: raw, column: column)) }
                rows.append(SQLRow(columns: prepared.columns, values: values))
            }
        }
    }

    /// True once every `statementsPerYield` statements: a long body (a settlement import writes a
    /// row a line) then lets other tasks run on the thread it holds.
    var isDueToYield: Bool { state.withLock { $0.statementsRun % Self.statementsPerYield == 0 } }

    static let statementsPerYield = 64

    func close() {
        state.withLock { state in
            for prepared in state.statements.values { sqlite_nio_sqlite3_finalize(prepared.statement) }
            state.statements = [:]
            sqlite_nio_sqlite3_close_v2(state.handle)
            state.handle = nil
        }
    }

    private static func prepared(_ sql: String, in state: inout State, handle: OpaquePointer) throws -> Prepared {
        if let prepared = state.statements[sql] { return prepared }
        if state.statements.count >= statementCacheLimit {
            for prepared in state.statements.values { sqlite_nio_sqlite3_finalize(prepared.statement) }
            state.statements = [:]
        }
        var raw: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard status == SQLITE_OK, let raw else { throw SQLiteFailure(status: status, handle: handle) }
        let count = sqlite_nio_sqlite3_column_count(raw)
        let names = (0..<count).map { String(cString: sqlite_nio_sqlite3_column_name(raw, $0)) }
        let prepared = Prepared(statement: raw, columns: SQLColumns(names), columnCount: count)
        state.statements[sql] = prepared
        return prepared
    }

    private static func bind(_ value: SQLValue, at index: Int32, to statement: OpaquePointer) -> Int32 {
        switch value {
        case .integer(let integer):
            sqlite_nio_sqlite3_bind_int64(statement, index, integer)
        case .text(let text):
            sqlite_nio_sqlite3_bind_text64(statement, index, text, UInt64(text.utf8.count), transient, UInt8(SQLITE_UTF8))
        case .bytes(let bytes) where bytes.isEmpty:
            // A blob bound from no memory would be NULL.
            sqlite_nio_sqlite3_bind_zeroblob(statement, index, 0)
        case .bytes(let bytes):
            bytes.withUnsafeBytes { sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), transient) }
        case .null:
            sqlite_nio_sqlite3_bind_null(statement, index)
        }
    }

    private static func value(of statement: OpaquePointer, column: Int32) throws -> SQLValue {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return .integer(sqlite_nio_sqlite3_column_int64(statement, column))
        case SQLITE_TEXT:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            guard let blob = sqlite_nio_sqlite3_column_blob(statement, column) else { return .bytes([]) }
            return .bytes(Array(UnsafeRawBufferPointer(start: blob, count: count)))
        case SQLITE_NULL:
            return .null
        default:
            // The stores keep no REAL values.
            throw StoredDataError(column: String(cString: sqlite_nio_sqlite3_column_name(statement, column)))
        }
    }

    /// SQLite copies the value before the bind call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// A failed statement: SQLite's (extended) result code and its message, which names no bound value.
struct SQLiteFailure: Error, CustomStringConvertible {
    let status: Int32
    let message: String

    init(status: Int32, message: String) {
        self.status = status
        self.message = message
    }

    init(status: Int32, handle: OpaquePointer?) {
        self.status = status
        message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite_nio_sqlite3_errstr(status))
    }

    /// The primary result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, …).
    var primaryStatus: Int32 { status & 0xFF }

    var description: String { "SQLite failed (\(status)): \(message)" }
}
