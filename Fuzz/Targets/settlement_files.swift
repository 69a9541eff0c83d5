import ShroffConnectors
import ShroffCore

/// The settlement file parsers and file names. The first byte picks the parser, the rest is the
/// file. Never traps; what a parser accepts keeps its rules: ids, a positive amount, `net = gross
/// - fee` in one currency, batch totals that add up.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = bytes.first else { return 0 }
    let file = Array(bytes.dropFirst())
    func check(_ lines: [SettlementLine], settled: Bool) {
        for line in lines {
            precondition(!line.referenceID.isEmpty && !line.providerTransactionID.isEmpty, "a line without ids")
            precondition(line.amount.minorUnits > 0, "a line without a positive amount")
            precondition(line.lineNumber >= 2, "a data line before the header")
            guard let amounts = line.settled else {
                precondition(!settled || line.status == .failed, "a settled file's line without amounts")
                continue
            }
            precondition(amounts.net.minorUnits == amounts.gross.minorUnits - amounts.fee.minorUnits, "net is not gross - fee")
            precondition(amounts.gross.currency == amounts.net.currency && amounts.fee.currency == amounts.net.currency, "mixed currencies")
        }
    }
    func check(_ batches: [SettlementBatchTotals]) {
        for batch in batches {
            precondition(batch.net.minorUnits == batch.gross.minorUnits - batch.fees.minorUnits, "batch net is not gross - fees")
            precondition(!batch.batchID.isEmpty, "a batch without an id")
        }
    }
    switch selector % 6 {
    case 0:
        if let lines = try? AMSSettlementReports.transactionItems(file) {
            precondition(lines.allSatisfy { $0.settled == nil && $0.batchID == nil }, "a transaction file settled something")
            check(lines, settled: false)
        }
    case 1:
        if let lines = try? AMSSettlementReports.settlementItems(file) {
            check(lines, settled: true)
            _ = try? SettlementTotals.verify(lines, against: [])
        }
    case 2:
        if let batches = try? AMSSettlementReports.settlementSummary(file) { check(batches) }
    case 3:
        if let batches = try? WAPSettlementReports.settlementBatches(file) { check(batches) }
    case 4:
        if let lines = try? WAPSettlementReports.settlementDetails(file, batchID: "B") {
            check(lines, settled: true)
            precondition(lines.allSatisfy { $0.batchID == "B" }, "a line outside its file's batch")
        }
    default:
        _ = SettlementFileName(String(decoding: file, as: UTF8.self))
    }
    return 0
}
