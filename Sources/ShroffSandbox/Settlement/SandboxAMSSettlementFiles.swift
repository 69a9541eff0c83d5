import Foundation

/// A file the sandbox writes: where under the settlement folder, which kind, and its text.
struct SandboxSettlementFile: Sendable {
    let path: String
    let kind: String
    let text: String
}

/// One line of a settlement: the entry with its amounts in the settlement currency.
struct SandboxSettledLine: Sendable {
    let entry: SandboxSettlementEntry
    /// The entry's amount signed as it moves the merchant's balance (a refund negative).
    let signedValue: Int64
    let settlementCurrency: String
    /// Times 10^8; nil when nothing was converted.
    let rate: Int64?
    let gross: Int64
    let fee: Int64
    var net: Int64 { gross - fee }

    /// Converted at the sandbox's quote into `settlementCurrency`, or kept in the entry's own
    /// currency when there is no quote between the two.
    init(_ entry: SandboxSettlementEntry, settlementCurrency wanted: String, feeBasisPoints: Int) {
        self.entry = entry
        signedValue = entry.kind == .payment ? entry.value : -entry.value
        if wanted != entry.currency, let rate = SandboxSettlementMath.rate(from: entry.currency, to: wanted) {
            self.rate = rate
            settlementCurrency = wanted
            gross = SandboxSettlementMath.convert(signedValue, from: entry.currency, to: wanted, rate: rate)
        } else {
            rate = nil
            settlementCurrency = entry.currency
            gross = signedValue
        }
        fee = SandboxSettlementMath.fee(on: gross, basisPoints: feeBasisPoints)
    }
}

/// One AMS customer's reports of one day, in `v1/settlements/<customerId>/<yyyyMMdd>/`: the day's
/// `transactionItems` (always, empty on a quiet day) and, per settlement currency, one batch's
/// `settlementItems` and `settlementSummary`. Amounts are signed integers in minor units.
struct SandboxAMSSettlementFiles {
    let customerID: String
    let day: SandboxSettlementDay
    let entries: [SandboxSettlementEntry]
    let feeBasisPoints: Int
    let utcOffsetSeconds: Int

    static let transactionHeader = [
        "customerId", "referenceMerchantId", "referenceStoreId", "transactionId", "originalTransactionId", "transactionRequestId",
        "referenceTransactionId", "orderDescription", "paymentMethodType", "pspName", "transactionType", "paymentTime", "productCode",
        "transactionAmountValue", "transactionCurrency", "status",
    ]
    static let settlementHeader = [
        "settlementBatchId", "customerId", "referenceMerchantId", "referenceStoreId", "transactionId", "originalTransactionId",
        "transactionRequestId", "referenceTransactionId", "paymentMethodType", "pspName", "transactionType", "paymentTime",
        "settlementTime", "productCode", "transactionAmountValue", "transactionCurrency", "settlementAmountValue", "settlementCurrency",
        "quoteCurrencyPair", "quotePrice", "feeAmountValue", "feeCurrency", "nonGuaranteeCouponValue", "nonGuaranteeCouponCurrency",
    ]
    static let summaryHeader = [
        "settlementBatchId", "customerId", "summaryType", "settlementTime", "count", "settlementAmountValue", "settlementCurrency",
        "feeAmountValue", "feeCurrency",
    ]

    func files() -> [SandboxSettlementFile] {
        let folder = "v1/settlements/\(customerID)/\(day.compact)"
        var transactions = SandboxCSV.line(Self.transactionHeader)
        for entry in entries {
            transactions += SandboxCSV.line([
                customerID, "", "", entry.providerID, entry.originalProviderID ?? "", entry.reference, "", "", entry.wallet, entry.wallet,
                entry.kind.rawValue, time(entry.time), entry.productCode, String(entry.kind == .payment ? entry.value : -entry.value),
                entry.currency, entry.reportedFailed ? "FAIL" : "SUCCESS",
            ])
        }
        var files = [SandboxSettlementFile(
            path: "\(folder)/transactionItems_\(day.compact)_000.csv", kind: "transactionItems", text: transactions + "<END>\n"
        )]
        let settled = entries.filter { !$0.reportedFailed }.map {
            SandboxSettledLine($0, settlementCurrency: $0.settlementCurrency, feeBasisPoints: feeBasisPoints)
        }
        for currency in Set(settled.map(\.settlementCurrency)).sorted() {
            let lines = settled.filter { $0.settlementCurrency == currency }
            let batch = day.compact + "11" + SandboxSettlementMath.digits(of: "ams|\(customerID)|\(currency)|\(day)", count: 9)
            let names = "\(currency)_\(batch)_000.csv"
            files.append(SandboxSettlementFile(
                path: "\(folder)/settlementItems_\(names)", kind: "settlementItems", text: items(lines, batch: batch, currency: currency)
            ))
            files.append(SandboxSettlementFile(
                path: "\(folder)/settlementSummary_\(names)", kind: "settlementSummary", text: summary(lines, batch: batch, currency: currency)
            ))
        }
        return files
    }

    private func items(_ lines: [SandboxSettledLine], batch: String, currency: String) -> String {
        var text = SandboxCSV.line(Self.settlementHeader)
        for line in lines {
            let entry = line.entry
            text += SandboxCSV.line([
                batch, customerID, "", "", entry.providerID, entry.originalProviderID ?? "", entry.reference, "", entry.wallet, entry.wallet,
                entry.kind.rawValue, time(entry.time), time(settlementTime), entry.productCode, String(line.signedValue), entry.currency,
                String(line.gross), currency, line.rate == nil ? "" : "\(entry.currency)/\(currency)",
                line.rate.map(SandboxSettlementMath.rateText) ?? "", String(line.fee), currency, "", "",
            ])
        }
        return text + "<END>\n"
    }

    /// A PAYMENT and a REFUND row when the batch has such lines, then the TOTAL; the amounts are
    /// net of fees, and each row is the sum of its lines.
    private func summary(_ lines: [SandboxSettledLine], batch: String, currency: String) -> String {
        var text = SandboxCSV.line(Self.summaryHeader)
        func row(_ type: String, _ rows: [SandboxSettledLine]) -> String {
            SandboxCSV.line([
                batch, customerID, type, time(settlementTime), String(rows.count), String(rows.reduce(0) { $0 + $1.net }), currency,
                String(rows.reduce(0) { $0 + $1.fee }), currency,
            ])
        }
        for kind in [SandboxSettlementEntry.Kind.payment, .refund] where lines.contains(where: { $0.entry.kind == kind }) {
            text += row(kind.rawValue, lines.filter { $0.entry.kind == kind })
        }
        return text + row("TOTAL", lines) + "<END>\n"
    }

    /// The day's cut-off: its batch is settled at the next midnight.
    private var settlementTime: Date { day.end(utcOffsetSeconds: utcOffsetSeconds) }

    private func time(_ date: Date) -> String {
        WallClockTime(date, utcOffsetSeconds: utcOffsetSeconds).iso8601
    }
}
