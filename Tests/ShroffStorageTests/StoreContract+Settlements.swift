import Foundation
import ShroffCore
import Testing

/// Settlement reconciliation's part of the store, on both engines: one import applied in one
/// transaction, once per file version, each discrepancy recorded once.
extension StoreContract {
    static let settlementChecks: [ContractCheck] = [
        ContractCheck("settlement import: outcomes, provider ids and settlement kept, merchants' batches, discrepancies") {
            try await settlementImportIsApplied($0.store)
        },
        ContractCheck("settlement import: a file version twice changes nothing, racing imports apply once, a discrepancy is recorded once") {
            try await settlementImportRunsOnce($0.store)
        },
    ]

    static let settlementDay = DateInterval(start: t0.addingTimeInterval(-3600), duration: 86_400)

    static func settlementLine(
        _ kind: SettlementTransactionKind, _ reference: String, _ minor: Int64, status: SettlementTransactionStatus = .succeeded,
        batch: String? = nil, fee: Int64? = nil
    ) -> SettlementLine {
        let hkd = Currency(code: "HKD")!
        let sign: Int64 = kind == .payment ? 1 : -1
        return SettlementLine(
            lineNumber: 2, batchID: batch, providerTransactionID: "P-" + reference, originalProviderTransactionID: nil, referenceID: reference,
            originalReferenceID: nil, kind: kind, status: status, amount: Money(minorUnits: minor, currency: hkd),
            settled: fee.map { SettledAmounts(gross: Money(minorUnits: sign * minor, currency: hkd), fee: Money(minorUnits: sign * $0, currency: hkd)) },
            rate: nil, transactionTime: t0, settlementTime: batch == nil ? nil : t0
        )
    }

    /// A merchant with three paid intents (C…0, C…1, C…2, 10.50 HKD) and a succeeded refund R1 of
    /// 5 HKD on the first; the provider's day: C…0 as ours, C…1 with another amount, C…2 missing,
    /// R1 failed, and X9 nobody made. C…0 and X9 are settled in batch B1.
    static func settlementSetup(_ store: any GatewayStore) async throws -> (Merchant, [PaymentIntent], SettlementImport) {
        let (merchant, intents) = try await paidIntents(store, count: 3)
        _ = try await store.insertRefund(makeRefund(intents[0], id: "R1", merchantRefundID: "MR-1", minorUnits: 500))
        _ = try await store.transitionRefund(
            refundID: "R1", decide: { RefundStateMachine.transition($0, on: .providerSucceeded(time: t0, providerRefundID: "PR-1")) },
            makeEvent: { refund, intent, kind in WebhookPayload.event(kind, for: refund, of: intent, at: t0, timestamps: hongKongTime) }
        )
        let settled = [
            settlementLine(.payment, intents[0].orderID, 1050, batch: "B1", fee: 19), settlementLine(.payment, "X9", 500, batch: "B1", fee: 9),
        ]
        let settlement = settlementImport([
            settlementLine(.payment, intents[0].orderID, 1050), settlementLine(.payment, intents[1].orderID, 999),
            settlementLine(.refund, "R1", 500, status: .failed), settlementLine(.payment, "X9", 500),
        ], settled: settled, sha: "aa")
        return (merchant, intents, settlement)
    }

    static func settlementImport(_ transactions: [SettlementLine], settled: [SettlementLine], sha: String, at time: Date = t0) -> SettlementImport {
        SettlementImport(
            provider: .ams, date: "2027-01-15", day: settlementDay,
            newFiles: [SettlementFileRecord(path: "v1/settlements/c/20270115/transactionItems_20270115_000.csv", sha256: sha,
                                            kind: "ams_transaction_items", date: "2027-01-15", importedAt: time, error: nil)],
            transactions: transactions, settled: settled, sources: [:], transactionFiles: "transactionItems_20270115_000.csv"
        )
    }

    static func settlementImportIsApplied(_ store: any GatewayStore) async throws {
        let (merchant, intents, settlement) = try await settlementSetup(store)
        guard case .applied(let matches, let discrepancies) = try await store.importSettlement(settlement, now: t0) else {
            Issue.record("expected the import applied"); return
        }
        #expect(matches.filter { $0.kind == .matched }.map(\.reference) == [intents[0].orderID])
        #expect(Set(discrepancies.map { "\($0.kind.rawValue) \($0.reference)" }) == [
            "amount_mismatch \(intents[1].orderID)", "missing_at_provider \(intents[2].orderID)", "status_mismatch R1", "unknown_to_us X9",
        ])
        let mismatch = try #require(discrepancies.first { $0.kind == .amountMismatch })
        #expect(mismatch.expected == "SUCCEEDED 10.5 HKD" && mismatch.reported == "SUCCEEDED 9.99 HKD")
        #expect(mismatch.providerTransactionID == "P-\(intents[1].orderID)" && mismatch.merchantUID == merchant.uid)
        #expect(mismatch.date == "2027-01-15" && mismatch.file == "transactionItems_20270115_000.csv")
        #expect(try await store.settlementDiscrepancies(limit: 10).count == 4)

        let hkd = Currency(code: "HKD")!
        #expect(try await store.settlementDetails(.payment, reference: intents[0].orderID) == SettlementDetails(
            providerTransactionID: "P-\(intents[0].orderID)", batchID: "B1",
            settled: SettledAmounts(gross: Money(minorUnits: 1050, currency: hkd), fee: Money(minorUnits: 19, currency: hkd)), date: "2027-01-15"
        ))
        // Named but not settled: its provider id only.
        #expect(try await store.settlementDetails(.refund, reference: "R1") == SettlementDetails(
            providerTransactionID: "P-R1", batchID: nil, settled: nil, date: "2027-01-15"
        ))
        #expect(try await store.settlementDetails(.payment, reference: "X9") == nil)
        // The merchant's part of B1 leaves out the line unknown to us.
        let batches = try await store.settlementBatches(merchantUID: merchant.uid, from: nil, to: nil, limit: 10, offset: 0)
        #expect(batches == [MerchantSettlementBatch(
            provider: .ams, batchID: "B1", merchantUID: merchant.uid, date: "2027-01-15", count: 1, gross: Money(minorUnits: 1050, currency: hkd),
            fees: Money(minorUnits: 19, currency: hkd), net: Money(minorUnits: 1031, currency: hkd)
        )])
        #expect(try await store.settlementBatches(merchantUID: merchant.uid, from: "2027-01-15", to: "2027-01-15", limit: 10, offset: 0).count == 1)
        #expect(try await store.settlementBatches(merchantUID: merchant.uid, from: "2027-01-16", to: nil, limit: 10, offset: 0).isEmpty)
        #expect(try await store.settlementBatches(merchantUID: merchant.uid, from: nil, to: "2027-01-14", limit: 10, offset: 0).isEmpty)
        #expect(try await store.settlementBatches(merchantUID: merchant.uid + 1, from: nil, to: nil, limit: 10, offset: 0).isEmpty)
        let file = settlement.newFiles[0]
        #expect(try await store.isSettlementFileKnown(path: file.path, sha256: file.sha256))
        #expect(try await !store.isSettlementFileKnown(path: file.path, sha256: "bb"))
        #expect(try await store.settlementFiles(limit: 10) == [file])
    }

    static func settlementImportRunsOnce(_ store: any GatewayStore) async throws {
        let (merchant, _, settlement) = try await settlementSetup(store)
        guard case .applied = try await store.importSettlement(settlement, now: t0) else { Issue.record("expected applied"); return }
        // The same version again: skipped whole.
        #expect(try await store.importSettlement(
            settlementImport(settlement.transactions!, settled: settlement.settled, sha: "aa", at: t0.addingTimeInterval(60)), now: t0.addingTimeInterval(60)
        ) == .alreadyImported)
        // A new version saying the same: applied, but every discrepancy is already recorded.
        let again = settlementImport(settlement.transactions!, settled: settlement.settled, sha: "bb", at: t0.addingTimeInterval(120))
        guard case .applied(_, let repeated) = try await store.importSettlement(again, now: t0.addingTimeInterval(120)) else {
            Issue.record("expected applied"); return
        }
        #expect(repeated.isEmpty)
        // Racing imports of one version: one applies.
        let third = settlementImport(settlement.transactions!, settled: settlement.settled, sha: "cc", at: t0.addingTimeInterval(180))
        let outcomes = try await withThrowingTaskGroup(of: SettlementImportOutcome.self) { group in
            for _ in 0..<3 { group.addTask { try await store.importSettlement(third, now: t0.addingTimeInterval(180)) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .alreadyImported }.count == 2)
        #expect(try await store.settlementDiscrepancies(limit: 10).count == 4)
        #expect(try await store.settlementFiles(limit: 10).map(\.sha256) == ["cc", "bb", "aa"])
        let path = settlement.newFiles[0].path
        #expect(try await store.isSettlementFileKnown(path: path, sha256: "cc"))
        #expect(try await !store.isSettlementFileKnown(path: path, sha256: "aa"))
        // The provider went back to the first version: it counts again, once.
        guard case .applied = try await store.importSettlement(settlementImport([], settled: [], sha: "aa", at: t0.addingTimeInterval(240)), now: t0.addingTimeInterval(240)) else {
            Issue.record("expected the first version applied again"); return
        }
        #expect(try await store.importSettlement(settlementImport([], settled: [], sha: "aa", at: t0.addingTimeInterval(300)), now: t0.addingTimeInterval(300)) == .alreadyImported)
        #expect(try await store.settlementFiles(limit: 10).map(\.sha256) == ["aa", "cc", "bb"])
        #expect(try await store.isSettlementFileKnown(path: path, sha256: "aa"))
        #expect(try await store.settlementBatches(merchantUID: merchant.uid, from: nil, to: nil, limit: 10, offset: 0).count == 1)
    }
}
