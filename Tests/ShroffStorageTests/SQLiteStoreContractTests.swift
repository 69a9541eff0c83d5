import Foundation
import ShroffCore
@testable import ShroffSQLite
import Testing

/// The store contract on SQLite, a fresh database file per check (the same list runs on PostgreSQL).
@Suite("SQLiteStore contract")
struct SQLiteStoreContractTests {
    @Test("the store contract", arguments: StoreContract.checks)
    func contract(_ check: ContractCheck) async throws {
        try await withSQLiteHarness { try await check.run($0) }
    }
}

/// What only an SQLite file has: migrations on open.
@Suite("SQLiteDatabase")
struct SQLiteDatabaseTests {
    @Test("migrations are idempotent: opening an existing database again keeps its data and sequences")
    func migrationsIdempotent() async throws {
        try await withSQLiteHarness { harness in
            let merchant = try await harness.store.createMerchant(makeMerchant(clientID: "mch_before"))
            let intent = makeIntent(merchantUID: merchant.uid)
            _ = try await harness.store.insert(intent)

            // A second process opening the same file while the first is open (`shroff merchants create`).
            let concurrent = try await harness.openAgain()
            #expect(try await SQLiteStore(database: concurrent).merchant(clientID: "mch_before") == merchant)
            try await concurrent.close()

            // Then a restart, twice.
            let restarted = try await harness.reopened()
            let again = try await restarted.reopened()
            #expect(try await again.store.merchant(clientID: "mch_before") == merchant)
            #expect(try await again.store.intent(orderID: intent.orderID) == intent)
            #expect(try await again.store.merchantCount() == 1)
            // The uid sequence was not reset by a second run of the first migration.
            let next = try await again.store.createMerchant(makeMerchant(clientID: "mch_after"))
            #expect(next.uid == 12_009_322)
            try await again.tearDown()
        }
    }

    @Test("a read runs beside an open write transaction and sees only what was committed")
    func readsBesideAWriteTransaction() async throws {
        try await withSQLiteHarness { harness in
            let merchant = try await harness.store.createMerchant(makeMerchant(clientID: "mch_reader"))
            let (inside, insideContinuation) = AsyncStream.makeStream(of: Void.self)
            let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
            let writer = Task {
                try await harness.database.transaction { session in
                    try await session.run("UPDATE merchants SET name = ? WHERE uid = ?", "Changed", merchant.uid)
                    insideContinuation.yield()
                    for await _ in release { break }
                }
            }
            for await _ in inside { break }
            // Were reads queued behind the writer, this one would answer only once the watchdog let
            // the transaction commit, and see the new name.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(10))
                releaseContinuation.yield()
            }
            let seen = try await harness.store.merchant(uid: merchant.uid)?.name
            watchdog.cancel()
            #expect(seen == merchant.name)
            releaseContinuation.yield()
            try await writer.value
            #expect(try await harness.store.merchant(uid: merchant.uid)?.name == "Changed")
        }
    }

    @Test("the readiness probe answers on an open database")
    func ping() async throws {
        try await withSQLiteHarness { harness in
            try await harness.sqliteStore.ping()
        }
    }

    struct Refused: Error {}

    @Test("a transaction alone that throws leaves none of its writes, constraint or not, and the next one commits")
    func loneTransactionRollsBack() async throws {
        try await withSQLiteHarness { harness in
            let database = harness.database
            try await database.transaction { try await $0.run("CREATE TABLE lone_probe (n INTEGER PRIMARY KEY)") }
            await #expect(throws: Refused.self) {
                try await database.transaction { session in
                    try await session.run("INSERT INTO lone_probe (n) VALUES (1)")
                    throw Refused()
                }
            }
            await #expect(throws: (any Error).self) {
                try await database.transaction { session in
                    try await session.run("INSERT INTO lone_probe (n) VALUES (2)")
                    try await session.run("INSERT INTO lone_probe (n) VALUES (2)")
                }
            }
            try await database.transaction { try await $0.run("INSERT INTO lone_probe (n) VALUES (3)") }
            let rows = try await database.read { try await $0.run("SELECT n FROM lone_probe") }
            #expect(try rows.map { try $0.value("n") } == [.integer(3)])
        }
    }

    @Test("a transaction of a cancelled task still begins and commits (its COMMIT may be a whole group's)")
    func cancelledCallerCommits() async throws {
        try await withSQLiteHarness { harness in
            let database = harness.database
            try await database.transaction { try await $0.run("CREATE TABLE cancel_probe (n INTEGER PRIMARY KEY)") }
            let cancelled = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                try await database.transaction { try await $0.run("INSERT INTO cancel_probe (n) VALUES (1)") }
            }
            try await cancelled.value
            let rows = try await database.read { try await $0.run("SELECT COUNT(*) AS c FROM cancel_probe") }
            #expect(try rows.first?.value("c") == .integer(1))
        }
    }

    @Test("transactions that queue behind one share its commit, and each is still all or nothing on its own")
    func groupCommit() async throws {
        try await withSQLiteHarness { harness in
            let database = harness.database
            try await database.transaction { try await $0.run("CREATE TABLE group_probe (n INTEGER PRIMARY KEY, note TEXT)") }
            let (inside, insideContinuation) = AsyncStream.makeStream(of: Void.self)
            let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
            let first = Task {
                try await database.transaction { session in
                    try await session.run("INSERT INTO group_probe (n, note) VALUES (0, 'first')")
                    insideContinuation.yield()
                    for await _ in release { break }
                }
            }
            for await _ in inside { break }
            // Twenty more queue behind it: even ones commit, odd ones throw after writing, and one
            // breaks a constraint (SQLite undoes just that statement; its transaction must go too).
            let queued = (1...20).map { n in
                Task { () -> Bool in
                    do {
                        try await database.transaction { session in
                            try await session.run("INSERT INTO group_probe (n, note) VALUES (?, 'queued')", 100 + n)
                            if n == 7 { try await session.run("INSERT INTO group_probe (n, note) VALUES (0, 'duplicate')") }
                            if n % 2 == 1 { throw Refused() }
                        }
                        return true
                    } catch {
                        return false
                    }
                }
            }
            // Released only once all twenty wait for the writer, so each hands the transaction on.
            let deadline = ContinuousClock.now + .seconds(10)
            while database.transactionsWaiting < 20, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            #expect(database.transactionsWaiting == 20)
            releaseContinuation.yield()
            try await first.value
            for (offset, task) in queued.enumerated() {
                let n = offset + 1
                #expect(await task.value == (n % 2 == 0), "transaction \(n)")
            }
            let rows = try await database.read { try await $0.run("SELECT n FROM group_probe ORDER BY n") }
            let kept = try rows.map { row -> Int64 in
                guard case .integer(let n) = try row.value("n") else { throw Refused() }
                return n
            }
            let expected: [Int64] = [0] + (1...10).map { 100 + 2 * Int64($0) }
            #expect(kept == expected)
        }
    }
}
