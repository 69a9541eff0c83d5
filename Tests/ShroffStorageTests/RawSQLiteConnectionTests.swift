import Foundation
import ShroffStorage
@testable import ShroffSQLite
import Testing

/// The connection the SQLite engine drives through SQLite's C API: what it binds reads back as it
/// was, its cached statements see later writes, and its failures say what SQLite said.
@Suite("Raw SQLite connection")
struct RawSQLiteConnectionTests {
    static func withConnection(_ body: (RawSQLiteConnection, String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shroff-raw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("probe.sqlite").path
        let connection = try RawSQLiteConnection(path: path, readOnly: false)
        defer { connection.close() }
        try connection.run("PRAGMA journal_mode = WAL")
        try connection.run("CREATE TABLE probe (n INTEGER PRIMARY KEY, text TEXT, bytes BLOB)")
        try body(connection, path)
    }

    @Test("every kind of value reads back as bound: text with NUL and combining marks, empty and binary blobs, NULL, the integer extremes")
    func valuesRoundTrip() throws {
        try Self.withConnection { connection, _ in
            let values: [(Int64, SQLValue, SQLValue)] = [
                (Int64.min, .text("a\u{0}b"), .bytes([])),
                (Int64.max, .text("1\u{301}\u{1F600}"), .bytes([0, 255, 0])),
                (0, .text(""), .null),
                (-1, .null, .bytes(Array(repeating: 7, count: 100_000))),
            ]
            for (n, text, bytes) in values {
                try connection.run("INSERT INTO probe (n, text, bytes) VALUES (?, ?, ?)", n, text, bytes)
            }
            for (n, text, bytes) in values {
                let rows = try connection.run("SELECT n, text, bytes FROM probe WHERE n = ?", n)
                #expect(rows.count == 1)
                #expect(try rows[0].value("n") == .integer(n))
                #expect(try rows[0].value("text") == text)
                #expect(try rows[0].value("bytes") == bytes)
            }
        }
    }

    @Test("a cached statement sees rows written after it was first run, and its bindings do not carry over")
    func cachedStatementsReadFreshRows() throws {
        try Self.withConnection { connection, path in
            let reader = try RawSQLiteConnection(path: path, readOnly: true)
            defer { reader.close() }
            let count = "SELECT COUNT(*) AS c FROM probe WHERE text = ?"
            #expect(try reader.run(count, "x").first?.value("c") == .integer(0))
            try connection.run("INSERT INTO probe (n, text) VALUES (1, 'x')")
            #expect(try reader.run(count, "x").first?.value("c") == .integer(1))
            #expect(try reader.run(count, "y").first?.value("c") == .integer(0))
            // More distinct statements than the cache keeps: each still runs.
            for n in 0..<(RawSQLiteConnection.statementCacheLimit + 10) {
                #expect(try reader.run("SELECT \(n) AS n").first?.value("n") == .integer(Int64(n)))
            }
            #expect(try reader.run(count, "x").first?.value("c") == .integer(1))
        }
    }

    @Test("failures carry SQLite's code: a broken constraint, a write on a read-only connection, bad SQL")
    func failures() throws {
        try Self.withConnection { connection, path in
            try connection.run("INSERT INTO probe (n) VALUES (1)")
            let duplicate = #expect(throws: SQLiteFailure.self) { try connection.run("INSERT INTO probe (n) VALUES (1)") }
            #expect(duplicate?.primaryStatus == 19) // SQLITE_CONSTRAINT
            #expect(SQLiteDatabase.keepsTransaction(duplicate!))
            let reader = try RawSQLiteConnection(path: path, readOnly: true)
            defer { reader.close() }
            let refused = #expect(throws: SQLiteFailure.self) { try reader.run("INSERT INTO probe (n) VALUES (2)") }
            #expect(refused?.primaryStatus == 8) // SQLITE_READONLY
            let malformed = #expect(throws: SQLiteFailure.self) { try reader.run("SELEC 1") }
            #expect(malformed?.description.contains("syntax error") == true)
            #expect(!SQLiteDatabase.keepsTransaction(malformed!))
            // A failed statement leaves the connection usable.
            #expect(try connection.run("SELECT COUNT(*) AS c FROM probe").first?.value("c") == .integer(1))
        }
    }
}
