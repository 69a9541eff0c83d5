import Foundation
import Logging
import NIOCore
import NIOPosix
import ShroffStorage
import Synchronization
import VaporCSQLite

/// The embedded SQLite database: one file in the data folder, WAL journal, the shared migrations.
/// One writing connection with one statement or transaction on it at a time, so write transactions
/// are serialised and a decision made on what a transaction read holds until it commits (several
/// may share one commit: `immediateTransaction`); beside it a pool of read-only connections
/// (`readerCount`) for reads outside transactions.
public final class SQLiteDatabase: Sendable {
    private let writer: ConnectionPool<RawSQLiteConnection>
    private let readers: ConnectionPool<RawSQLiteConnection>
    private let writeGroup = Mutex(WriteGroup())

    private init(writer: RawSQLiteConnection, readers: [RawSQLiteConnection]) {
        self.writer = ConnectionPool(connections: [writer])
        self.readers = ConnectionPool(connections: readers)
    }

    /// One reader per core, at least 2 and at most 8: a read runs on the thread that asks for it.
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
            } catch let error as SQLiteFailure where error.primaryStatus == SQLITE_BUSY && attempt < 4 {
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
        let connection = try RawSQLiteConnection(path: path, readOnly: false)
        do {
            // Setting WAL takes the write lock for a moment: off the caller's thread like every wait for it.
            try await offThread { try connection.run("PRAGMA journal_mode = WAL") }
            try connection.run("PRAGMA synchronous = FULL")
            try connection.run("PRAGMA foreign_keys = ON")
            try connection.run(Self.cacheSizePragma)
            try await migrate(connection: connection, logger: logger)
        } catch {
            connection.close()
            throw error
        }
        var readers: [RawSQLiteConnection] = []
        do {
            for _ in 0..<readerCount {
                let reader = try RawSQLiteConnection(path: path, readOnly: true)
                readers.append(reader)
                try reader.run(Self.cacheSizePragma)
            }
        } catch {
            for reader in readers { reader.close() }
            connection.close()
            throw error
        }
        return SQLiteDatabase(writer: connection, readers: readers)
    }

    /// Each connection keeps up to 16 MiB of pages (SQLite's default is 2 MiB): with a million
    /// intents the inner pages of the intents' table and indexes alone outgrow 2 MiB, and every
    /// lookup then read pages from the file again (issue 18, `bench/run growth`).
    static let cacheSizePragma = "PRAGMA cache_size = -16384"

    public func close() async throws {
        for reader in readers.all { reader.close() }
        for connection in writer.all { connection.close() }
    }

    /// The highest migration this build knows (every open database has it).
    public static var latestVersion: Int { SchemaMigrations.latestVersion }

    /// Runs `body` on an idle reader, beside other reads and the writer.
    func withReader<T: Sendable>(_ body: (RawSQLiteConnection) async throws -> T) async throws -> T {
        try await readers.with(body)
    }

    /// Runs `body` in a write transaction of its own (`BEGIN IMMEDIATE`, so it holds the write lock
    /// from the start and never fails half-way on a lock upgrade), rolled back if it throws; returns
    /// only once its writes are committed.
    ///
    /// Group commit: a transaction that ends while others wait for the writer leaves its writes
    /// uncommitted and hands the open transaction to the next; the last of such a group commits for
    /// all (one commit and one fsync instead of one each, which serialised every write on the disk).
    /// Each caller after the first runs its body in a savepoint, so one that throws undoes only its own
    /// writes (the first, failing, rolls back the transaction, which holds only its own). A commit
    /// that fails fails every caller of the group, so nothing is acknowledged that was not committed;
    /// a database error inside a body, which may have ended the transaction, rolls the whole group back.
    func immediateTransaction<T: Sendable>(_ body: (RawSQLiteConnection) async throws -> T) async throws -> T {
        let connection = await writer.acquire()
        let startsGroup = !writeGroup.withLock { $0.isOpen }
        if startsGroup {
            do {
                try await Self.offThread { try connection.run("BEGIN IMMEDIATE") }
            } catch {
                writer.release(connection)
                throw error
            }
            writeGroup.withLock { $0.isOpen = true }
        }
        let outcome: Result<T, any Error>
        do {
            // The first of a group has no one's writes to keep if it fails: rolling the transaction
            // back undoes just its own, so it needs no savepoint (whose journal of every page it
            // changes was a few per cent of a batch of request-log rows).
            outcome = startsGroup ? .success(try await body(connection)) : try await Self.savepoint(on: connection, body)
        } catch {
            _ = try? connection.run("ROLLBACK")
            endGroup(committed: error)
            writer.release(connection)
            throw error
        }
        let handOver = writeGroup.withLock { $0.waiting.count + 1 < Self.largestWriteGroup } && writer.waitingCount > 0
        if handOver {
            guard case .success(let value) = outcome else {
                writer.release(connection)
                return try outcome.get()
            }
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                writeGroup.withLock { $0.waiting.append(continuation) }
                writer.release(connection)
            }
            return value
        }
        do {
            try await Self.offThread { try connection.run("COMMIT") }
        } catch {
            _ = try? connection.run("ROLLBACK")
            endGroup(committed: error)
            writer.release(connection)
            throw error
        }
        endGroup(committed: nil)
        writer.release(connection)
        return try outcome.get()
    }

    /// How many transactions wait for the writing connection (tests wait on it).
    var transactionsWaiting: Int { writer.waitingCount }

    /// The most transactions one commit takes: the first of a group waits for all of them.
    static let largestWriteGroup = 32

    /// The write transaction left open for the next caller, and the callers whose bodies are in it.
    struct WriteGroup {
        var isOpen = false
        var waiting: [CheckedContinuation<Void, any Error>] = []
    }

    /// Closes the group: its waiting callers learn whether their writes were committed (`error` nil).
    private func endGroup(committed error: (any Error)?) {
        let waiting = writeGroup.withLock { group in
            defer { group = WriteGroup() }
            return group.waiting
        }
        for continuation in waiting {
            if let error { continuation.resume(throwing: error) } else { continuation.resume() }
        }
    }

    /// Runs `body` in a savepoint: `.failure` when it threw and its writes were undone (the
    /// transaction goes on); throws when the database failed in a way that may have ended the transaction.
    static func savepoint<T: Sendable>(
        on connection: RawSQLiteConnection, _ body: (RawSQLiteConnection) async throws -> T
    ) async throws -> Result<T, any Error> {
        try connection.run("SAVEPOINT caller")
        do {
            let value = try await body(connection)
            try connection.run("RELEASE caller")
            return .success(value)
        } catch where keepsTransaction(error) {
            try connection.run("ROLLBACK TO caller")
            try connection.run("RELEASE caller")
            return .failure(error)
        }
    }

    /// Whether the transaction is known to go on after `error` came out of a body: any error of the
    /// body's own, and a violated constraint (SQLite undoes just that statement).
    static func keepsTransaction(_ error: any Error) -> Bool {
        guard let error = error as? SQLiteFailure else { return true }
        return error.primaryStatus == SQLITE_CONSTRAINT
    }

    /// Runs a statement that may wait (for another connection's lock, or for the disk) on NIO's
    /// blocking pool, so that the wait holds none of the threads that run the gateway's tasks. Not
    /// cancellable: a cancelled caller's `COMMIT` still commits the writes of everyone in its group.
    static func offThread(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            NIOThreadPool.singleton.submit { state in
                guard case .active = state else {
                    continuation.resume(throwing: SQLiteFailure(status: SQLITE_MISUSE, message: "the blocking thread pool has stopped"))
                    return
                }
                continuation.resume(with: Result { try work() })
            }
        }
    }

    static func immediateTransaction<T: Sendable>(
        on connection: RawSQLiteConnection, _ body: (RawSQLiteConnection) async throws -> T
    ) async throws -> T {
        try await offThread { try connection.run("BEGIN IMMEDIATE") }
        do {
            let value = try await body(connection)
            try await offThread { try connection.run("COMMIT") }
            return value
        } catch {
            _ = try? connection.run("ROLLBACK")
            throw error
        }
    }

    /// Migrations run on the writing connection before any reader opens, each in `BEGIN IMMEDIATE`.
    static func migrate(connection: RawSQLiteConnection, logger: Logger) async throws {
        try await SchemaMigrations.apply(dialect: .sqlite, logger: logger) { body in
            try await immediateTransaction(on: connection) { try await body(SQLiteSession(connection: $0)) }
        }
    }
}
