import Foundation
import ShroffCore

extension SQLStore: SettlementStore {
    public func isSettlementFileKnown(path: String, sha256: String) async throws -> Bool {
        let newest = try await readFirst(
            "SELECT sha256 FROM settlement_files WHERE path = ? ORDER BY imported_at DESC LIMIT 1", path
        ) { try $0.text("sha256") }
        return newest == sha256
    }

    /// Another import recorded one of the files first: this one rolls back.
    struct SettlementFilesTaken: Error {}

    public func importSettlement(_ settlement: SettlementImport, now: Date) async throws -> SettlementImportOutcome {
        do {
            return try await database.transaction { session in
                // The files' key makes an import run once: a racing node's insert of the same
                // version waits for this transaction and then finds it the newest, and rolls back.
                // A version taken in before counts again only when a newer one was taken since (the
                // provider went back to it).
                for file in settlement.newFiles {
                    let inserted = try await session.run(
                        """
                        INSERT INTO settlement_files (path, sha256, kind, settlement_date, imported_at, error) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (path, sha256) DO UPDATE SET imported_at = excluded.imported_at, error = excluded.error
                        WHERE settlement_files.imported_at < (SELECT MAX(newest.imported_at) FROM settlement_files newest WHERE newest.path = ?)
                        RETURNING path
                        """,
                        file.path, file.sha256, file.kind, file.date, file.importedAt, file.error, file.path
                    )
                    if inserted.isEmpty { throw SettlementFilesTaken() }
                }
                let records = try await SettlementSQL.settlementRecords(for: settlement, on: session)
                var matches: [SettlementMatch] = []
                if let transactions = settlement.transactions {
                    matches += SettlementMatching.match(lines: transactions, records: records, day: settlement.day)
                }
                let settledMatches = SettlementMatching.match(lines: settlement.settled, records: records, day: nil)
                for match in matches + settledMatches {
                    try await SettlementSQL.keepDetails(of: match, in: settlement, now: now, on: session)
                }
                // What the day's list already said is reported once.
                func key(_ match: SettlementMatch) -> String {
                    "\(match.kind.rawValue)/" + SettlementImport.sourceKey(match.transactionKind, match.reference)
                }
                let listed = Set(matches.map(key))
                matches += settledMatches.filter { !listed.contains(key($0)) }
                try await SettlementSQL.replaceBatches(from: settledMatches, in: settlement, now: now, on: session)
                var recorded: [SettlementDiscrepancy] = []
                for match in matches where match.kind != .matched {
                    let discrepancy = SettlementSQL.discrepancy(match, in: settlement, now: now)
                    if try await SettlementSQL.insertDiscrepancy(discrepancy, on: session) { recorded.append(discrepancy) }
                }
                return .applied(matches: matches, newDiscrepancies: recorded)
            }
        } catch is SettlementFilesTaken {
            return .alreadyImported
        }
    }

    public func settlementDiscrepancies(limit: Int) async throws -> [SettlementDiscrepancy] {
        try await read("SELECT * FROM settlement_discrepancies ORDER BY created_at DESC, id DESC LIMIT ?", limit, as: Rows.discrepancy)
    }

    public func settlementFiles(limit: Int) async throws -> [SettlementFileRecord] {
        try await read("SELECT * FROM settlement_files ORDER BY imported_at DESC, path LIMIT ?", limit) { row in
            SettlementFileRecord(
                path: try row.text("path"), sha256: try row.text("sha256"), kind: try row.text("kind"),
                date: try row.text("settlement_date"), importedAt: try row.date("imported_at"), error: try row.optionalText("error")
            )
        }
    }

    public func settlementBatches(merchantUID: Int64, from: String?, to: String?, limit: Int, offset: Int) async throws -> [MerchantSettlementBatch] {
        var conditions = ["merchant_uid = ?"]
        var binds: [any SQLBindable] = [merchantUID]
        if let from {
            conditions.append("settlement_date >= ?")
            binds.append(from)
        }
        if let to {
            conditions.append("settlement_date <= ?")
            binds.append(to)
        }
        let statement = SQLStatement(
            """
            SELECT * FROM settlement_batches WHERE \(conditions.joined(separator: " AND "))
            ORDER BY settlement_date DESC, provider, batch_id LIMIT ? OFFSET ?
            """,
            binds + [limit, offset]
        )
        return try await database.read { try await $0.run(statement) }.map(Rows.settlementBatch)
    }

    public func settlementDetails(_ kind: SettlementTransactionKind, reference: String) async throws -> SettlementDetails? {
        try await readFirst("SELECT * FROM settlement_details WHERE kind = ? AND reference = ?", kind.rawValue, reference) { row in
            var settled: SettledAmounts?
            if let gross = try row.optionalInt64("gross_minor"), let fee = try row.optionalInt64("fee_minor"),
               let currency = try row.optionalText("settlement_currency").flatMap(Currency.init(code:)) {
                settled = SettledAmounts(gross: Money(minorUnits: gross, currency: currency), fee: Money(minorUnits: fee, currency: currency))
            }
            return SettlementDetails(
                providerTransactionID: try row.text("provider_transaction_id"), batchID: try row.optionalText("batch_id"), settled: settled,
                date: try row.text("settlement_date")
            )
        }
    }
}

/// The statements of a settlement import, run in its transaction.
enum SettlementSQL {
    /// The records of the day (succeeded payments and refunds of the provider's flows, by the
    /// provider's time) and those the lines name, whatever their day.
    static func settlementRecords(for settlement: SettlementImport, on session: any SQLSession) async throws -> [SettlementRecord] {
        let (start, end) = (settlement.day.start, settlement.day.end)
        var records: [SettlementRecord] = []
        let dayIntents = try await session.run(
            "SELECT * FROM payment_intents WHERE (pay_time >= ? AND pay_time < ?) OR (late_payment_time >= ? AND late_payment_time < ?)",
            start, end, start, end
        )
        records += try dayIntents.map { SettlementRecord(intent: try Rows.intent($0)) }.filter { $0.provider == settlement.provider }
        let dayRefunds = try await session.run(
            "\(refundsWithMethod) WHERE refunds.status = 'SUCCEEDED' AND refunds.finish_time >= ? AND refunds.finish_time < ?", start, end
        )
        records += try dayRefunds.map(refundRecord).filter { $0.provider == settlement.provider }
        let lines = (settlement.transactions ?? []) + settlement.settled
        let payments = Array(Set(lines.filter { $0.kind != .refund }.map(\.referenceID))).sorted()
        let refunds = Array(Set(lines.filter { $0.kind == .refund }.map(\.referenceID))).sorted()
        for chunk in chunks(payments) {
            let list = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            records += try await session.run(SQLStatement("SELECT * FROM payment_intents WHERE order_id IN (\(list))", chunk))
                .map { SettlementRecord(intent: try Rows.intent($0)) }
        }
        for chunk in chunks(refunds) {
            let list = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            records += try await session.run(SQLStatement("\(refundsWithMethod) WHERE refunds.refund_id IN (\(list))", chunk)).map(refundRecord)
        }
        return records
    }

    static let refundsWithMethod =
        "SELECT refunds.*, payment_intents.method AS intent_method FROM refunds JOIN payment_intents ON payment_intents.order_id = refunds.order_id"

    static func refundRecord(_ row: SQLRow) throws -> SettlementRecord {
        let method = try JSONDecoder().decode(PaymentMethodSpec.self, from: Data(try row.text("intent_method").utf8))
        return SettlementRecord(refund: try Rows.refund(row), provider: SettlementProvider(method))
    }

    /// Lists of ids bound 500 at a time, well within both engines' limits on bound values.
    static func chunks(_ ids: [String]) -> [[String]] {
        stride(from: 0, to: ids.count, by: 500).map { Array(ids[$0..<min($0 + 500, ids.count)]) }
    }

    /// The provider's id of a transaction we know, and its settlement once a settlement file says
    /// (a transaction file, which carries none, keeps what an earlier settlement file said).
    static func keepDetails(of match: SettlementMatch, in settlement: SettlementImport, now: Date, on session: any SQLSession) async throws {
        guard let line = match.line, let record = match.record else { return }
        let settled = line.status == .succeeded ? line.settled : nil
        try await session.run(
            """
            INSERT INTO settlement_details (kind, reference, provider, merchant_uid, provider_transaction_id, batch_id, gross_minor,
                fee_minor, net_minor, settlement_currency, settlement_date, file, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (kind, reference) DO UPDATE SET provider_transaction_id = excluded.provider_transaction_id,
                batch_id = COALESCE(excluded.batch_id, settlement_details.batch_id),
                gross_minor = COALESCE(excluded.gross_minor, settlement_details.gross_minor),
                fee_minor = COALESCE(excluded.fee_minor, settlement_details.fee_minor),
                net_minor = COALESCE(excluded.net_minor, settlement_details.net_minor),
                settlement_currency = COALESCE(excluded.settlement_currency, settlement_details.settlement_currency),
                settlement_date = excluded.settlement_date, file = excluded.file, updated_at = excluded.updated_at
            """,
            record.kind.rawValue, record.reference, settlement.provider.rawValue, record.merchantUID, line.providerTransactionID,
            settled == nil ? nil : line.batchID, settled?.gross.minorUnits, settled?.fee.minorUnits, settled?.net.minorUnits,
            settled?.gross.currency.code, settlement.date,
            settlement.sources[SettlementImport.sourceKey(line.kind, line.referenceID)] ?? settlement.transactionFiles, now
        )
    }

    /// Each batch the settled lines name, split by merchant: the lines of its payments and refunds
    /// (lines unknown to us belong to no merchant). Written anew from the batch's current lines.
    static func replaceBatches(from matches: [SettlementMatch], in settlement: SettlementImport, now: Date, on session: any SQLSession) async throws {
        struct Key: Hashable {
            let batch: String
            let merchant: Int64
        }
        var parts: [Key: (count: Int, gross: Int64, fee: Int64, net: Int64, currency: Currency)] = [:]
        var order: [Key] = []
        for match in matches {
            guard let line = match.line, let record = match.record, line.status == .succeeded, let batch = line.batchID,
                  let amounts = line.settled else { continue }
            let key = Key(batch: batch, merchant: record.merchantUID)
            if parts[key] == nil { order.append(key) }
            var part = parts[key] ?? (0, 0, 0, 0, amounts.gross.currency)
            part.count += 1
            part.gross += amounts.gross.minorUnits
            part.fee += amounts.fee.minorUnits
            part.net += amounts.net.minorUnits
            parts[key] = part
        }
        for batch in Set(settlement.settled.compactMap(\.batchID)).sorted() {
            try await session.run("DELETE FROM settlement_batches WHERE provider = ? AND batch_id = ?", settlement.provider.rawValue, batch)
        }
        for key in order {
            guard let part = parts[key] else { continue }
            try await session.run(
                """
                INSERT INTO settlement_batches (provider, batch_id, merchant_uid, settlement_date, currency, line_count, gross_minor,
                    fee_minor, net_minor, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                settlement.provider.rawValue, key.batch, key.merchant, settlement.date, part.currency.code, part.count, part.gross,
                part.fee, part.net, now
            )
        }
    }

    static func discrepancy(_ match: SettlementMatch, in settlement: SettlementImport, now: Date) -> SettlementDiscrepancy {
        SettlementDiscrepancy(
            kind: match.kind, provider: settlement.provider, transactionKind: match.transactionKind, reference: match.reference,
            providerTransactionID: match.line?.providerTransactionID, merchantUID: match.record?.merchantUID, expected: match.expected,
            reported: match.reported, date: settlement.date,
            // What is missing is missing from the day's list; anything else is in the file of its line.
            file: match.kind == .missingAtProvider
                ? settlement.transactionFiles
                : settlement.sources[SettlementImport.sourceKey(match.transactionKind, match.reference)] ?? settlement.transactionFiles,
            createdAt: now
        )
    }

    /// Whether the discrepancy is new: each is recorded once per kind, provider, transaction and day.
    static func insertDiscrepancy(_ discrepancy: SettlementDiscrepancy, on session: any SQLSession) async throws -> Bool {
        !(try await session.run(
            """
            INSERT INTO settlement_discrepancies (kind, provider, transaction_kind, reference, provider_transaction_id, merchant_uid,
                expected, reported, settlement_date, file, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (kind, provider, transaction_kind, reference, settlement_date) DO NOTHING
            RETURNING id
            """,
            discrepancy.kind.rawValue, discrepancy.provider.rawValue, discrepancy.transactionKind.rawValue, discrepancy.reference,
            discrepancy.providerTransactionID, discrepancy.merchantUID, discrepancy.expected, discrepancy.reported, discrepancy.date,
            discrepancy.file, discrepancy.createdAt
        ).isEmpty)
    }
}

extension Rows {
    static func discrepancy(_ row: SQLRow) throws -> SettlementDiscrepancy {
        guard let kind = SettlementMatchKind(rawValue: try row.text("kind")),
              let provider = SettlementProvider(rawValue: try row.text("provider")),
              let transactionKind = SettlementTransactionKind(rawValue: try row.text("transaction_kind")) else {
            throw StoredDataError(column: "settlement_discrepancies.kind/provider")
        }
        return SettlementDiscrepancy(
            kind: kind, provider: provider, transactionKind: transactionKind, reference: try row.text("reference"),
            providerTransactionID: try row.optionalText("provider_transaction_id"), merchantUID: try row.optionalInt64("merchant_uid"),
            expected: try row.optionalText("expected"), reported: try row.optionalText("reported"), date: try row.text("settlement_date"),
            file: try row.text("file"), createdAt: try row.date("created_at")
        )
    }

    static func settlementBatch(_ row: SQLRow) throws -> MerchantSettlementBatch {
        guard let provider = SettlementProvider(rawValue: try row.text("provider")),
              let currency = Currency(code: try row.text("currency")) else {
            throw StoredDataError(column: "settlement_batches.provider/currency")
        }
        return MerchantSettlementBatch(
            provider: provider, batchID: try row.text("batch_id"), merchantUID: try row.int64("merchant_uid"),
            date: try row.text("settlement_date"), count: Int(try row.int64("line_count")),
            gross: Money(minorUnits: try row.int64("gross_minor"), currency: currency),
            fees: Money(minorUnits: try row.int64("fee_minor"), currency: currency),
            net: Money(minorUnits: try row.int64("net_minor"), currency: currency)
        )
    }
}
