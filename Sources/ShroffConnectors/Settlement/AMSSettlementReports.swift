import Foundation
import ShroffCore

/// The Alipay+ / Antom (AMS) reconciliation reports, as docs/settlement-formats.md describes them:
/// `transactionItems` (every successful transaction of a day), `settlementItems` (each line of a
/// settlement batch with its fee and settlement amount) and `settlementSummary` (each batch's
/// totals). Each ends with an `<END>` line. Amounts are signed integers in minor units. Pure.
public enum AMSSettlementReports {
    static let endMarker = "<END>"

    public static func transactionItems(_ bytes: [UInt8]) throws(SettlementFileError) -> [SettlementLine] {
        let table = try SettlementTable(bytes, endMarker: endMarker, required: [
            "transactionId", "transactionRequestId", "transactionType", "paymentTime", "transactionAmountValue", "transactionCurrency",
        ])
        var lines: [SettlementLine] = []
        for row in table.rows {
            let fields = SettlementFields(table: table, row: row)
            let kind = try fields.kind("transactionType")
            lines.append(SettlementLine(
                lineNumber: row.number, batchID: nil,
                providerTransactionID: try fields.identifier("transactionId"),
                originalProviderTransactionID: try fields.optionalIdentifier("originalTransactionId"),
                referenceID: try fields.identifier("transactionRequestId"), originalReferenceID: nil,
                kind: kind, status: try status(fields), amount: try transactionAmount(fields, kind: kind),
                settled: nil, rate: nil, transactionTime: try fields.isoTime("paymentTime"), settlementTime: nil
            ))
        }
        return lines
    }

    public static func settlementItems(_ bytes: [UInt8]) throws(SettlementFileError) -> [SettlementLine] {
        let table = try SettlementTable(bytes, endMarker: endMarker, required: [
            "settlementBatchId", "transactionId", "transactionRequestId", "transactionType", "paymentTime", "settlementTime",
            "transactionAmountValue", "transactionCurrency", "settlementAmountValue", "settlementCurrency", "feeAmountValue", "feeCurrency",
        ])
        var lines: [SettlementLine] = []
        for row in table.rows {
            let fields = SettlementFields(table: table, row: row)
            let kind = try fields.kind("transactionType")
            let amount = try transactionAmount(fields, kind: kind)
            let currency = try fields.currency("settlementCurrency")
            let gross = try fields.minorUnits("settlementAmountValue", currency: currency)
            guard kind == .payment ? gross.minorUnits >= 0 : gross.minorUnits <= 0 else {
                throw fields.failure("settlementAmountValue", "a \(kind.rawValue) is settled \(kind == .payment ? "positive" : "negative")")
            }
            guard try fields.currency("feeCurrency") == currency else {
                throw fields.failure("feeCurrency", "differs from settlementCurrency \(currency)")
            }
            let fee = try fields.minorUnits("feeAmountValue", currency: currency)
            lines.append(SettlementLine(
                lineNumber: row.number, batchID: try fields.identifier("settlementBatchId"),
                providerTransactionID: try fields.identifier("transactionId"),
                originalProviderTransactionID: try fields.optionalIdentifier("originalTransactionId"),
                referenceID: try fields.identifier("transactionRequestId"), originalReferenceID: nil,
                kind: kind, status: .succeeded, amount: amount,
                settled: SettledAmounts(gross: gross, fee: fee),
                rate: try quote(fields, from: amount.currency, to: currency),
                transactionTime: try fields.isoTime("paymentTime"), settlementTime: try fields.isoTime("settlementTime")
            ))
        }
        return lines
    }

    /// Each batch's totals: a `TOTAL` row, which must equal the sum of its `PAYMENT`, `REFUND`
    /// and `CANCEL` rows when there are any. `settlementAmountValue` is the net amount.
    public static func settlementSummary(_ bytes: [UInt8]) throws(SettlementFileError) -> [SettlementBatchTotals] {
        let table = try SettlementTable(bytes, endMarker: endMarker, required: [
            "settlementBatchId", "summaryType", "count", "settlementAmountValue", "settlementCurrency", "feeAmountValue", "feeCurrency",
        ])
        struct Row {
            let fields: SettlementFields
            let count: Int
            let net: Money
            let fee: Money
        }
        var order: [String] = []
        var totals: [String: Row] = [:]
        var parts: [String: [SettlementTransactionKind: Row]] = [:]
        for tableRow in table.rows {
            let fields = SettlementFields(table: table, row: tableRow)
            let batch = try fields.identifier("settlementBatchId")
            let currency = try fields.currency("settlementCurrency")
            guard try fields.currency("feeCurrency") == currency else {
                throw fields.failure("feeCurrency", "differs from settlementCurrency \(currency)")
            }
            if let first = totals[batch] ?? parts[batch]?.values.first, first.net.currency != currency {
                throw fields.failure("settlementCurrency", "batch \(batch) is settled in \(first.net.currency)")
            }
            let countText = table.text(tableRow, "count")
            guard countText.utf8.count <= 9, countText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                  let count = Int(countText) else {
                throw fields.failure("count", "not a count of at most 9 digits")
            }
            let row = Row(
                fields: fields, count: count, net: try fields.minorUnits("settlementAmountValue", currency: currency),
                fee: try fields.minorUnits("feeAmountValue", currency: currency)
            )
            if totals[batch] == nil, parts[batch] == nil { order.append(batch) }
            let type = table.text(tableRow, "summaryType").uppercased()
            if type == "TOTAL" {
                guard totals.updateValue(row, forKey: batch) == nil else { throw fields.failure("summaryType", "TOTAL twice for batch \(batch)") }
            } else {
                guard let kind = SettlementTransactionKind(rawValue: type.lowercased()) else {
                    throw fields.failure("summaryType", "not PAYMENT, REFUND, CANCEL or TOTAL")
                }
                guard parts[batch, default: [:]].updateValue(row, forKey: kind) == nil else {
                    throw fields.failure("summaryType", "\(type) twice for batch \(batch)")
                }
            }
        }
        var batches: [SettlementBatchTotals] = []
        for batch in order {
            guard let total = totals[batch] else {
                throw SettlementFileError(line: parts[batch]!.values.map(\.fields.line).max()!, field: table.spelling("summaryType"), problem: "no TOTAL row for batch \(batch)")
            }
            let kinds = parts[batch] ?? [:]
            if !kinds.isEmpty {
                for (name, stated, summed) in [
                    ("count", Int64(total.count), SettlementNumbers.sum(kinds.values.map { Int64($0.count) })),
                    ("settlementAmountValue", total.net.minorUnits, SettlementNumbers.sum(kinds.values.map(\.net.minorUnits))),
                    ("feeAmountValue", total.fee.minorUnits, SettlementNumbers.sum(kinds.values.map(\.fee.minorUnits))),
                ] where stated != summed {
                    throw total.fields.failure(name, "the TOTAL of batch \(batch) is not the sum of its other rows")
                }
            }
            let currency = total.net.currency
            let time = try table.text(total.fields.row, "settlementTime").isEmpty ? nil : total.fields.isoTime("settlementTime")
            batches.append(SettlementBatchTotals(
                lineNumber: total.fields.line, batchID: batch, currency: currency,
                gross: Money(minorUnits: total.net.minorUnits + total.fee.minorUnits, currency: currency), fees: total.fee, net: total.net,
                counts: kinds.isEmpty ? nil : kinds.mapValues(\.count),
                settlementTime: time
            ))
        }
        return batches
    }

    /// `transactionAmountValue`, signed as the provider writes it (a refund or cancel negative),
    /// returned as the positive amount of the transaction.
    static func transactionAmount(_ fields: SettlementFields, kind: SettlementTransactionKind) throws(SettlementFileError) -> Money {
        let signed = try fields.minorUnits("transactionAmountValue", currency: try fields.currency("transactionCurrency"))
        guard kind == .payment ? signed.minorUnits > 0 : signed.minorUnits < 0 else {
            throw fields.failure("transactionAmountValue", "a \(kind.rawValue) amount must be \(kind == .payment ? "positive" : "negative")")
        }
        return Money(minorUnits: abs(signed.minorUnits), currency: signed.currency)
    }

    /// The optional `status` column: `SUCCESS` (or empty, or no such column) and `FAIL`.
    static func status(_ fields: SettlementFields) throws(SettlementFileError) -> SettlementTransactionStatus {
        switch fields.table.text(fields.row, "status").uppercased() {
        case "", "SUCCESS": .succeeded
        case "FAIL": .failed
        default: throw fields.failure("status", "not SUCCESS or FAIL")
        }
    }

    /// `quoteCurrencyPair` (`KRW/USD`: from the transaction's currency to the settlement's) with
    /// `quotePrice`; both or neither.
    static func quote(_ fields: SettlementFields, from base: Currency, to quote: Currency) throws(SettlementFileError) -> SettlementRate? {
        let pair = fields.table.text(fields.row, "quoteCurrencyPair")
        guard !pair.isEmpty else {
            guard fields.table.text(fields.row, "quotePrice").isEmpty else { throw fields.failure("quoteCurrencyPair", "empty beside a quotePrice") }
            return nil
        }
        guard pair == "\(base.code)/\(quote.code)" else {
            throw fields.failure("quoteCurrencyPair", "not \(base.code)/\(quote.code), from transactionCurrency to settlementCurrency")
        }
        return try fields.rate("quotePrice", base: base, quote: quote)
    }
}
