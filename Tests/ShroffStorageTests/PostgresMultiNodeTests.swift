import Foundation
import PostgresNIO
import ShroffCore
import ShroffStorage
import Testing

@testable import ShroffPostgres

/// Two store instances with their own connection pools on one database: two gateway nodes.
/// What SQLite gets from its single writer, PostgreSQL must get from row locks and SKIP LOCKED.
@Suite("PostgreSQL with several nodes", .enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
struct PostgresMultiNodeTests {
    let t0 = StoreContract.t0

    @Test("two nodes migrating a fresh database at once: both start, each migration applied once")
    func racingMigrations() async throws {
        let url = try await TestPostgres.createDatabase()
        let databases = try await withThrowingTaskGroup(of: PostgresGatewayDatabase.self) { group in
            for _ in 0..<4 { group.addTask { try await PostgresGatewayDatabase.open(url: url, logger: quietLogger) } }
            return try await group.reduce(into: [PostgresGatewayDatabase]()) { $0.append($1) }
        }
        for database in databases {
            #expect(try await database.schemaVersion() == PostgresGatewayDatabase.latestVersion)
        }
        let applied = try await databases[0].client.withConnection { connection in
            try await connection.query("SELECT COUNT(*)::BIGINT FROM schema_migrations", logger: quietLogger).collect().first?.decode(Int.self)
        }
        // Each listed migration once (versions need not be contiguous while branches are merged).
        #expect(applied == SchemaMigrations.versions.count)
        for database in databases { await database.close() }
        await TestPostgres.dropDatabase(url)
    }

    @Test("identical intent inserts racing on two nodes make one intent")
    func racingInserts() async throws {
        try await withPostgresHarness { harness in
            let merchant = try await harness.store.createMerchant(makeMerchant())
            try await harness.withSecondNode { other in
                let nodes: [any GatewayStore] = [harness.store, other]
                for round in 0..<5 {
                    let outcomes = try await withThrowingTaskGroup(of: InsertOutcome.self) { group in
                        for index in 0..<16 {
                            let node = nodes[index % 2]
                            group.addTask { try await node.insert(makeIntent(merchantUID: merchant.uid, merchantOrderID: "RACE-\(round)")) }
                        }
                        return try await group.reduce(into: [InsertOutcome]()) { $0.append($1) }
                    }
                    let inserted = outcomes.compactMap { if case .inserted(let intent) = $0 { intent } else { nil } }
                    let existing = outcomes.compactMap { if case .existing(let intent) = $0 { intent } else { nil } }
                    #expect(inserted.count == 1)
                    #expect(existing.count == 15 && existing.allSatisfy { $0 == inserted.first })
                }
            }
        }
    }

    @Test("refunds racing on two nodes for the last unit: exactly one wins")
    func racingRefunds() async throws {
        try await withPostgresHarness { harness in
            let (_, intents) = try await StoreContract.paidIntents(harness.store, count: 1)
            let intent = intents[0]
            // 10.49 of 10.50 HKD refunded: one cent is left.
            _ = try await harness.store.insertRefund(StoreContract.makeRefund(intent, id: "R-big", merchantRefundID: "MR-big", minorUnits: 1049))
            try await harness.withSecondNode { other in
                let nodes: [any GatewayStore] = [harness.store, other]
                let outcomes = try await withThrowingTaskGroup(of: RefundInsertOutcome.self) { group in
                    for index in 0..<16 {
                        let node = nodes[index % 2]
                        group.addTask {
                            try await node.insertRefund(StoreContract.makeRefund(intent, id: "R\(index)", merchantRefundID: "MR-\(index)", minorUnits: 1))
                        }
                    }
                    return try await group.reduce(into: [RefundInsertOutcome]()) { $0.append($1) }
                }
                #expect(outcomes.filter { if case .inserted = $0 { true } else { false } }.count == 1)
                #expect(outcomes.filter { $0 == .exceedsRefundable(remainingMinorUnits: 0) }.count == 15)
            }
        }
    }

    @Test("claims on two nodes with SKIP LOCKED never hand one delivery to two claimers")
    func racingClaims() async throws {
        try await withPostgresHarness { harness in
            _ = try await StoreContract.paidIntents(harness.store, count: 60)
            try await harness.withSecondNode { other in
                let nodes: [any GatewayStore] = [harness.store, other]
                var claimed: [String] = []
                for _ in 0..<20 {
                    let round = try await withThrowingTaskGroup(of: [String].self) { group in
                        for index in 0..<8 {
                            let node = nodes[index % 2]
                            group.addTask { try await node.claimDueDeliveries(now: t0, limit: 4, lease: .seconds(60)).map(\.delivery.event.id) }
                        }
                        return try await group.reduce(into: [String]()) { $0 += $1 }
                    }
                    if round.isEmpty { break }
                    claimed += round
                }
                #expect(claimed.count == 60)
                #expect(Set(claimed).count == 60)
            }
        }
    }

    @Test("reconciliation work on two nodes is shared without double work")
    func racingIntentChecks() async throws {
        try await withPostgresHarness { harness in
            let merchant = try await harness.store.createMerchant(makeMerchant())
            for index in 0..<40 {
                var intent = makeIntent(merchantUID: merchant.uid, merchantOrderID: "CHK-\(index)", orderID: "C\(1_700_000_000_000 + index)")
                intent.firstCheckAt = t0
                _ = try await harness.store.insert(intent)
            }
            try await harness.withSecondNode { other in
                let nodes: [any GatewayStore] = [harness.store, other]
                let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
                    for index in 0..<8 {
                        let node = nodes[index % 2]
                        group.addTask {
                            var mine: [String] = []
                            while true {
                                let due = try await node.claimDueIntentChecks(now: t0, limit: 3, lease: .seconds(60))
                                if due.isEmpty { return mine }
                                mine += due.map(\.item.orderID)
                            }
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0 += $1 }
                }
                #expect(claimed.count == 40)
                #expect(Set(claimed).count == 40)
            }
        }
    }

    @Test("an intent's later event is not claimed on another node while its earlier one is out")
    func perIntentOrderAcrossNodes() async throws {
        try await withPostgresHarness { harness in
            let (_, intents) = try await StoreContract.paidIntents(harness.store, count: 2)
            let later = try await StoreContract.appendEvent(harness.store, orderID: intents[0].orderID, kind: .refundSuccess, at: t0)
            try await harness.withSecondNode { other in
                let first = try await harness.store.claimDueDeliveries(now: t0, limit: 1, lease: .seconds(60))
                #expect(first.map(\.delivery.event.orderID) == [intents[0].orderID])
                // The other node gets the other intent's event, never the first intent's later one.
                let second = try await other.claimDueDeliveries(now: t0, limit: 10, lease: .seconds(60))
                #expect(second.map(\.delivery.event.orderID) == [intents[1].orderID])
                let firstID = try #require(first.first?.delivery.event.id)
                try await harness.store.recordAttempt(
                    DeliveryAttempt(eventID: firstID, number: 1, startedAt: t0, url: "https://shop.example/notify", httpStatus: 200, latencyMilliseconds: 5, error: nil),
                    decision: .succeeded(at: t0)
                )
                #expect(try await other.claimDueDeliveries(now: t0, limit: 10, lease: .seconds(60)).map(\.delivery.event.id) == [later.id])
            }
        }
    }

    @Test("a node that dies with a lease: the work comes back to another node when the lease ends, not before")
    func leaseOfADeadNode() async throws {
        try await withPostgresHarness { harness in
            _ = try await StoreContract.paidIntents(harness.store, count: 1)
            let taken = try await harness.withSecondNode { doomed in
                try await doomed.claimDueDeliveries(now: t0, limit: 10, lease: .seconds(60))
            }
            #expect(taken.count == 1)
            // The survivor starts (a dispatcher start must not steal a live node's lease)...
            #expect(harness.store.leasesAreExclusiveToThisProcess == false)
            try await harness.store.releaseAllLeases()
            #expect(try await harness.store.claimDueDeliveries(now: t0.addingTimeInterval(30), limit: 10, lease: .seconds(60)).isEmpty)
            // ...and takes the event over when the dead node's lease has run out.
            let resumed = try await harness.store.claimDueDeliveries(now: t0.addingTimeInterval(60), limit: 10, lease: .seconds(60))
            #expect(resumed.map(\.delivery.event.id) == taken.map(\.delivery.event.id))
        }
    }

    @Test("transitions racing on two nodes apply once and write one webhook")
    func racingTransitions() async throws {
        try await withPostgresHarness { harness in
            let merchant = try await harness.store.createMerchant(makeMerchant())
            let intent = makeIntent(merchantUID: merchant.uid)
            _ = try await harness.store.insert(intent)
            let paid = PaymentEvent.providerSucceeded(payTime: t0, wallet: nil, settleCurrency: nil)
            try await harness.withSecondNode { other in
                let nodes: [any GatewayStore] = [harness.store, other]
                let applied = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for index in 0..<12 {
                        let node = nodes[index % 2]
                        group.addTask {
                            let outcome = try await node.transition(
                                orderID: intent.orderID, decide: { PaymentStateMachine.transition($0, on: paid) }, makeEvent: makeWebhook
                            )
                            if case .applied = outcome { return true }
                            return false
                        }
                    }
                    return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                #expect(applied == 1)
                #expect(try await other.webhookEvents(orderID: intent.orderID).count == 1)
            }
        }
    }

    @Test("a token key created on one node is the one every node reads")
    func sharedSecrets() async throws {
        try await withPostgresHarness { harness in
            try await harness.withSecondNode { other in
                let nodes: [any GatewayStore] = [harness.store, other]
                let keys = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                    for index in 0..<10 {
                        let node = nodes[index % 2]
                        group.addTask { try await node.secret(named: "token-signing-key-v1") { Array(repeating: UInt8(index), count: 32) } }
                    }
                    return try await group.reduce(into: [[UInt8]]()) { $0.append($1) }
                }
                #expect(Set(keys).count == 1)
            }
        }
    }
}
