import Foundation

/// One WAP partner's settlement files of one day, in `wap/<partner>/<yyyyMMdd>/`: the
/// settlement batch file `<partner>_settlebatch_<yyyyMMdd>.csv` (always, empty on a quiet day)
/// and per currency one batch's detail file `<partner>_settle_<yyyyMMdd>_<batch>.csv` — the
/// provider's settlement zip, unzipped. A trade settles in its own currency; `Rate` is the
/// sandbox's CNY quote, with `Rmb_amount` and `Rmb_settlement` at it. Decimals in major units,
/// times in Beijing time.
struct SandboxWAPSettlementFiles {
    let partner: String
    let day: SandboxSettlementDay
    let entries: [SandboxSettlementEntry]
    let feeBasisPoints: Int
    let utcOffsetSeconds: Int

    static let batchHeader = ["Settle_batch_no", "Settle_date", "Amount", "Fee", "Settlement", "Currency"]
    static let detailHeader = [
        "Partner_transaction_id", "Transaction_id", "Amount", "Rmb_amount", "Fee", "Settlement", "Rmb_settlement", "Currency", "Rate",
        "Payment_time", "Settlement_time", "Type", "Status", "Remarks", "Original_partner_transaction_ID",
    ]

    func files() -> [SandboxSettlementFile] {
        let folder = "wap/\(partner)/\(day.compact)"
        let settlementTime = WAPTime.text(day.end(utcOffsetSeconds: utcOffsetSeconds))
        var batches = SandboxCSV.line(Self.batchHeader)
        var files: [SandboxSettlementFile] = []
        for currency in Set(entries.map(\.currency)).sorted() {
            let batch = "5000" + day.compact + SandboxSettlementMath.digits(of: "wap|\(partner)|\(currency)|\(day)", count: 20)
            // A refund reported failed is listed, but not settled.
            let rows = entries.filter { $0.currency == currency }.map { entry in
                (entry, entry.reportedFailed ? nil : SandboxSettledLine(entry, settlementCurrency: currency, feeBasisPoints: feeBasisPoints))
            }
            let settled = rows.compactMap(\.1)
            batches += SandboxCSV.line([
                batch, settlementTime, money(settled.reduce(0) { $0 + $1.gross }, currency), money(settled.reduce(0) { $0 + $1.fee }, currency),
                money(settled.reduce(0) { $0 + $1.net }, currency), currency,
            ])
            var detail = SandboxCSV.line(Self.detailHeader)
            for (entry, line) in rows {
                let rate = SandboxSettlementMath.rate(from: currency, to: "CNY")
                func rmb(_ value: Int64) -> String {
                    rate.map { money(SandboxSettlementMath.convert(value, from: currency, to: "CNY", rate: $0), "CNY") } ?? ""
                }
                detail += SandboxCSV.line([
                    entry.reference, entry.providerID, money(entry.value, currency), rmb(entry.value), money(line?.fee ?? 0, currency),
                    money(line?.net ?? 0, currency), rmb(line?.net ?? 0), currency, rate.map(SandboxSettlementMath.rateText) ?? "",
                    WAPTime.text(entry.time), settlementTime, entry.kind.rawValue, entry.reportedFailed ? "FAILED" : "SETTLED", "",
                    entry.originalReference ?? "",
                ])
            }
            files.append(SandboxSettlementFile(path: "\(folder)/\(partner)_settle_\(day.compact)_\(batch).csv", kind: "settle", text: detail))
        }
        files.insert(SandboxSettlementFile(path: "\(folder)/\(partner)_settlebatch_\(day.compact).csv", kind: "settlebatch", text: batches), at: 0)
        return files
    }

    private func money(_ minorUnits: Int64, _ currency: String) -> String {
        SandboxMoney.decimal(minorUnits: minorUnits, places: SandboxMoney.exponent(of: currency))
    }
}
