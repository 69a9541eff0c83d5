import Foundation
import ShroffStorage

/// Every store of the gateway on the embedded SQLite database.
public typealias SQLiteStore = SQLStore<SQLiteDatabase>

extension SQLiteDatabase: SQLEngine {
    public var dialect: SQLDialect { .sqlite }

    /// One embedded database file per gateway process: its leases are this process's own.
    public var isExclusiveToThisProcess: Bool { true }

    @discardableResult
    public func read<T: Sendable>(_ body: (any SQLSession) async throws -> T) async throws -> T {
        try await withReader { try await body(SQLiteSession(connection: $0)) }
    }

    /// A write runs as a transaction of its own, which takes the write lock from the start.
    @discardableResult
    public func write<T: Sendable>(_ body: (any SQLSession) async throws -> T) async throws -> T {
        try await transaction(body)
    }

    /// `BEGIN IMMEDIATE` on the one connection: no other transaction runs beside it, so row locks are
    /// not needed (several may share one commit, each in a savepoint of its own).
    @discardableResult
    public func transaction<T: Sendable>(_ body: (any SQLSession) async throws -> T) async throws -> T {
        try await immediateTransaction { try await body(SQLiteSession(connection: $0)) }
    }

    public func ping() async throws {
        _ = try await immediateTransaction { try $0.run("SELECT 1").count }
    }
}

extension SQLDialect {
    /// SQLite's: 64-bit INTEGER columns (an `INTEGER PRIMARY KEY` is the rowid), no row locks (one
    /// write transaction at a time), `applied_at` in seconds.
    public static let sqlite = SQLDialect(
        integer: "INTEGER", bytes: "BLOB", generatedKey: "INTEGER PRIMARY KEY AUTOINCREMENT",
        generatedKeyStarting: { table, first in
            ("INTEGER PRIMARY KEY AUTOINCREMENT", ["INSERT INTO sqlite_sequence (name, seq) VALUES ('\(table)', \(first - 1))"])
        },
        lockForUpdate: "", claimLock: { _ in "" }, migrationLock: nil,
        migrationTime: { .integer(Int64($0.timeIntervalSince1970)) }
    )
}

/// The connection of a read, write or transaction: each statement runs at once on the calling thread,
/// which is given up for a moment every `RawSQLiteConnection.statementsPerYield` statements.
struct SQLiteSession: SQLSession {
    let connection: RawSQLiteConnection

    func run(_ statement: SQLStatement) async throws -> [SQLRow] {
        let rows = try connection.run(statement)
        if connection.isDueToYield { await Task.yield() }
        return rows
    }
}
