import Foundation
import Logging
import NIOCore
import ShroffStorage
import SQLiteNIO

/// The embedded SQLite database: one file in the data folder, WAL journal, the shared migrations.
/// One writing connection with one statement or transaction on it at a time, so write transactions
/// are serialised and a decision made on what a transaction read holds until it commits; beside it
/// a pool of read-only connections (`readerCount`) for reads outside transactions.
public final class SQLiteDatabase: Sendable {
    private let writer: ConnectionPool
    private let readers: ConnectionPool

    private init(writer: SQLiteConnection, readers: [SQLiteConnection]) {
        self.writer = ConnectionPool(connections: [writer])
        self.readers = ConnectionPool(connections: readers)
    }

    /// One reader per core, at least 2 and at most 8: SQLite runs each connection's statements on a
    /// thread of NIO's blocking pool, which has a thread per core.
    static var readerCount: Int { min(max(System.coreCount, 2), 8) }

    /// Opens (creating if needed) the database file and applies pending migrations.
    public static func open(path: String, logger: Logger) async throws -> SQLiteDatabase {
        try protectFiles(path: path)
        // Another process may hold the write lock for a moment (a server next to `merchants create`):
        // a lock that outlasts the busy timeout is waited out a few more times.
        var attempt = 0
        while true {
            do {
                return try await openOnce(path: path, logger: logger)
            } catch let error as SQLiteError where error.reason == .busy && attempt < 4 {
                attempt += 1
                logger.warning("database busy while opening; retrying", metadata: ["attempt": "\(attempt)"])
                try await Task.sleep(for: .milliseconds(250 * attempt))
            }
        }
    }

    /// The database holds the token signing key and the webhook secrets: a folder it creates is
    /// 0700, and the file is created 0600 before SQLite opens it (SQLite gives its -wal and -shm files
    /// the database file's mode); existing files are narrowed to 0600. A folder that already existed
    /// is left as it is (it may be shared, like /tmp).
    static func protectFiles(path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: folder) {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]
            )
        }
        let descriptor = Foundation.open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        if descriptor >= 0 { _ = Foundation.close(descriptor) }
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            _ = chmod(file, 0o600)
        }
    }

    static func openOnce(path: String, logger: Logger) async throws -> SQLiteDatabase {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            _ = try await connection.query("PRAGMA busy_timeout = 10000")
            _ = try await connection.query("PRAGMA journal_mode = WAL")
            _ = try await connection.query("PRAGMA synchronous = FULL")
            _ = try await connection.query("PRAGMA foreign_keys = ON")
            try await migrate(connection: connection, logger: logger)
        } catch {
            // A connection must be closed before it is released.
            try? await connection.close()
            throw error
        }
        var readers: [SQLiteConnection] = []
        do {
            for _ in 0..<readerCount { readers.append(try await openReader(path: path, logger: logger)) }
        } catch {
            for reader in readers { try? await reader.close() }
            try? await connection.close()
            throw error
        }
        return SQLiteDatabase(writer: connection, readers: readers)
    }

    /// A connection that refuses to write (`query_only`), opened after the migrations.
    static func openReader(path: String, logger: Logger) async throws -> SQLiteConnection {
        let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            _ = try await reader.query("PRAGMA busy_timeout = 10000")
            _ = try await reader.query("PRAGMA query_only = ON")
            return reader
        } catch {
            try? await reader.close()
            throw error
        }
    }

    public func close() async throws {
        for reader in readers.all { try? await reader.close() }
        for connection in writer.all { try await connection.close() }
    }

    /// The highest migration this build knows (every open database has it).
    public static var latestVersion: Int { SchemaMigrations.latestVersion }

    /// Runs `body` on an idle reader, beside other reads and the writer.
    func withReader<T: Sendable>(_ body: (SQLiteConnection) async throws -> T) async throws -> T {
        try await readers.with(body)
    }

    /// Runs `body` alone on the writing connection.
    func withConnection<T: Sendable>(_ body: (SQLiteConnection) async throws -> T) async throws -> T {
        try await writer.with(body)
    }

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`, so it holds the write lock from the
    /// start and never fails half-way on a lock upgrade); rolls back if it throws.
    func immediateTransaction<T: Sendable>(_ body: (SQLiteConnection) async throws -> T) async throws -> T {
        try await withConnection { try await Self.immediateTransaction(on: $0, body) }
    }

    static func immediateTransaction<T: Sendable>(
        on connection: SQLiteConnection, _ body: (SQLiteConnection) async throws -> T
    ) async throws -> T {
        _ = try await connection.query("BEGIN IMMEDIATE")
        do {
            let value = try await body(connection)
            _ = try await connection.query("COMMIT")
            return value
        } catch {
            _ = try? await connection.query("ROLLBACK")
            throw error
        }
    }

    /// Migrations run on the writing connection before any reader opens, each in `BEGIN IMMEDIATE`.
    static func migrate(connection: SQLiteConnection, logger: Logger) async throws {
        try await SchemaMigrations.apply(dialect: .sqlite, logger: logger) { body in
            try await immediateTransaction(on: connection) { try await body(SQLiteSession(connection: $0)) }
        }
    }
}
