import Foundation
import ShroffCore

/// The Alipay Global WAP gateway's (`create_forex_trade_wap`) settlement files, as
/// docs/settlement-formats.md describes them: the settlement batch file (each batch's `Amount`,
/// `Fee`, `Settlement`, `Currency`) and a settlement detail file per batch, whose batch number is
/// only in its file name. Amounts are decimals in major units; times are Beijing time
/// (`yyyy-MM-dd HH:mm:ss`). The files have no end marker: a truncated detail file shows as lines
/// that do not add up to the batch file's totals (`SettlementTotals.verify`). Pure.
public enum WAPSettlementReports {
    /// The provider writes times in Beijing time.
    public static let providerUTCOffsetSeconds = 8 * 3600

    public static func settlementBatches(_ bytes: [UInt8]) throws(SettlementFileError) -> [SettlementBatchTotals] {
        let table = try SettlementTable(
            bytes, endMarker: nil, required: ["Settle_batch_no", "Settle_date", "Amount", "Fee", "Settlement", "Currency"],
            separator: separator(bytes)
        )
        var batches: [SettlementBatchTotals] = []
        for row in table.rows {
            let fields = SettlementFields(table: table, row: row)
            let batch = try fields.identifier("Settle_batch_no")
            guard !batches.contains(where: { $0.batchID == batch }) else { throw fields.failure("Settle_batch_no", "batch \(batch) twice") }
            let currency = try fields.currency("Currency")
            let gross = try fields.majorUnits("Amount", currency: currency)
            let fee = try fields.majorUnits("Fee", currency: currency)
            let net = try fields.majorUnits("Settlement", currency: currency)
            guard net.minorUnits == gross.minorUnits - fee.minorUnits else { throw fields.failure("Settlement", "not Amount - Fee") }
            batches.append(SettlementBatchTotals(
                lineNumber: row.number, batchID: batch, currency: currency, gross: gross, fees: fee, net: net, counts: nil,
                settlementTime: try fields.localTime("Settle_date", utcOffsetSeconds: providerUTCOffsetSeconds)
            ))
        }
        return batches
    }

    /// The lines of batch `batchID`'s detail file. `Amount` is positive for every type; `Fee`
    /// and `Settlement` are signed (a refund's negative), and `Settlement` is `±Amount - Fee`.
    public static func settlementDetails(_ bytes: [UInt8], batchID: String) throws(SettlementFileError) -> [SettlementLine] {
        let table = try SettlementTable(bytes, endMarker: nil, required: [
            "Partner_transaction_id", "Transaction_id", "Amount", "Fee", "Settlement", "Currency", "Payment_time", "Settlement_time",
            "Type", "Status",
        ], separator: separator(bytes))
        let cny = Currency(code: "CNY")!
        var lines: [SettlementLine] = []
        for row in table.rows {
            let fields = SettlementFields(table: table, row: row)
            let kind = try fields.kind("Type")
            let currency = try fields.currency("Currency")
            let amount = try fields.majorUnits("Amount", currency: currency)
            guard amount.minorUnits > 0 else { throw fields.failure("Amount", "not positive") }
            let fee = try fields.majorUnits("Fee", currency: currency)
            let net = try fields.majorUnits("Settlement", currency: currency)
            let gross = kind == .payment ? amount.minorUnits : -amount.minorUnits
            let status = try status(fields)
            guard status == .failed || net.minorUnits == gross - fee.minorUnits else {
                throw fields.failure("Settlement", "not \(kind == .payment ? "" : "-")Amount - Fee")
            }
            for name in ["Rmb_amount", "Rmb_settlement"] where !table.text(row, name).isEmpty {
                _ = try fields.majorUnits(name, currency: cny)
            }
            lines.append(SettlementLine(
                lineNumber: row.number, batchID: batchID,
                providerTransactionID: try fields.identifier("Transaction_id"), originalProviderTransactionID: nil,
                referenceID: try fields.identifier("Partner_transaction_id"),
                originalReferenceID: try fields.optionalIdentifier("Original_partner_transaction_ID"),
                kind: kind, status: status, amount: amount,
                settled: status == .failed ? nil : SettledAmounts(gross: Money(minorUnits: gross, currency: currency), fee: fee),
                rate: try table.text(row, "Rate").isEmpty ? nil : fields.rate("Rate", base: currency, quote: cny),
                transactionTime: try fields.localTime("Payment_time", utcOffsetSeconds: providerUTCOffsetSeconds),
                settlementTime: try fields.localTime("Settlement_time", utcOffsetSeconds: providerUTCOffsetSeconds)
            ))
        }
        return lines
    }

    /// `L` (liquidated), `SETTLED` and `P` (paid, not yet liquidated) are settled lines; `F` /
    /// `FAILED` (the sandbox's refund the provider could not complete) is not.
    static func status(_ fields: SettlementFields) throws(SettlementFileError) -> SettlementTransactionStatus {
        switch fields.table.text(fields.row, "Status").uppercased() {
        case "L", "SETTLED", "P": .succeeded
        case "F", "FAILED": .failed
        default: throw fields.failure("Status", "not L, SETTLED, P or FAILED")
        }
    }

    /// Comma, as the AlipayHK samples; `|` when the header uses it and no comma (the Global samples).
    static func separator(_ bytes: [UInt8]) -> UInt8 {
        let header = bytes.prefix { $0 != UInt8(ascii: "\n") }
        return header.contains(UInt8(ascii: "|")) && !header.contains(UInt8(ascii: ",")) ? UInt8(ascii: "|") : UInt8(ascii: ",")
    }
}
