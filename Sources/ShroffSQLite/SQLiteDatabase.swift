import Foundation
import Logging
import ShroffStorage
import SQLiteNIO

/// The embedded SQLite database: one file in the data folder, WAL journal, the shared migrations.
/// One connection, and one statement or transaction on it at a time: write transactions are
/// serialised, so a decision made on what a transaction read holds until it commits.
public final class SQLiteDatabase: Sendable {
    let connection: SQLiteConnection
    private let gate = TransactionGate()

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

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
            let database = SQLiteDatabase(connection: connection)
            try await database.migrate(logger: logger)
            return database
        } catch {
            // A connection must be closed before it is released.
            try? await connection.close()
            throw error
        }
    }

    public func close() async throws {
        try await connection.close()
    }

    /// The highest migration this build knows (every open database has it).
    public static var latestVersion: Int { SchemaMigrations.latestVersion }

    /// Runs `body` alone on the connection, outside a transaction (single reads).
    func withConnection<T: Sendable>(_ body: (SQLiteConnection) async throws -> T) async throws -> T {
        await gate.acquire()
        do {
            let value = try await body(connection)
            await gate.release()
            return value
        } catch {
            await gate.release()
            throw error
        }
    }

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`, so it holds the write lock from the
    /// start and never fails half-way on a lock upgrade); rolls back if it throws.
    func immediateTransaction<T: Sendable>(_ body: (SQLiteConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
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
    }

    func migrate(logger: Logger) async throws {
        try await SchemaMigrations.apply(dialect: dialect, logger: logger) { body in try await transaction(body) }
    }
}
