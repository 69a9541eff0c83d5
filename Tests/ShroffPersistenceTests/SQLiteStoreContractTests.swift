import Foundation
import ShroffCore
import ShroffPersistence
import Testing

/// The store contract on SQLite, a fresh database file per test.
@Suite("SQLiteStore contract")
struct SQLiteStoreContractTests {
    @Test("createMerchant assigns increasing uids from 12009321")
    func merchantUIDs() async throws { try await withSQLiteHarness { try await StoreContract.merchantUIDsIncreaseFrom12009321($0.store) } }

    @Test("merchants are found by client id and uid; merchantCount counts them")
    func merchantLookups() async throws { try await withSQLiteHarness { try await StoreContract.merchantLookups($0.store) } }

    @Test("client ids are unique")
    func clientIDUnique() async throws { try await withSQLiteHarness { try await StoreContract.clientIDIsUnique($0.store) } }

    @Test("secret(named:orCreate:) creates once and keeps the bytes across a restart")
    func secrets() async throws { try await withSQLiteHarness { try await StoreContract.secretIsCreatedOnceAndKept($0) } }

    @Test("racing secret creators all get the same bytes")
    func racingSecrets() async throws { try await withSQLiteHarness { try await StoreContract.racingSecretCreatorsAgree($0.store) } }

    @Test("insert: inserted, then existing for the same merchant_order_id; another merchant may reuse it")
    func insertIdempotent() async throws { try await withSQLiteHarness { try await StoreContract.insertIsIdempotentPerMerchant($0.store) } }

    @Test("racing inserts of one merchant_order_id make exactly one intent")
    func racingInserts() async throws { try await withSQLiteHarness { try await StoreContract.racingInsertsMakeOneIntent($0.store) } }

    @Test("every PaymentIntent field round-trips")
    func roundTrip() async throws { try await withSQLiteHarness { try await StoreContract.intentRoundTripsEveryField($0.store) } }

    @Test("dates are kept to the millisecond")
    func milliseconds() async throws { try await withSQLiteHarness { try await StoreContract.datesKeepMilliseconds($0.store) } }

    @Test("lookups by merchant see only that merchant's intents")
    func scopedLookups() async throws { try await withSQLiteHarness { try await StoreContract.lookupsAreScopedToTheMerchant($0.store) } }

    @Test("an applied transition writes exactly one webhook event; an ignored one writes none")
    func appliedTransition() async throws { try await withSQLiteHarness { try await StoreContract.appliedTransitionWritesOneEvent($0.store) } }

    @Test("a transition without notification writes no webhook event")
    func silentTransition() async throws { try await withSQLiteHarness { try await StoreContract.transitionsWithoutNotificationWriteNoEvent($0.store) } }

    @Test("a conflicting transition changes nothing and writes nothing")
    func conflict() async throws { try await withSQLiteHarness { try await StoreContract.conflictingTransitionChangesNothing($0.store) } }

    @Test("a transition of an unknown intent is notFound")
    func unknownIntent() async throws { try await withSQLiteHarness { try await StoreContract.transitionOfUnknownIntent($0.store) } }

    @Test("the outbox keeps an intent's events in order")
    func outboxOrder() async throws { try await withSQLiteHarness { try await StoreContract.outboxKeepsOrderPerIntent($0.store) } }

    @Test("racing transitions apply once and write one webhook")
    func racingTransitions() async throws { try await withSQLiteHarness { try await StoreContract.racingTransitionsApplyOnce($0.store) } }
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

    @Test("the readiness probe answers on an open database")
    func ping() async throws {
        try await withSQLiteHarness { harness in
            try await harness.sqliteStore.ping()
        }
    }
}
