import Foundation
import ShroffCore

/// Whether a batch's lines add up to its stated totals, to the minor unit: a truncated or altered
/// detail file does not. Only succeeded lines count.
public enum SettlementTotals {
    public static func verify(_ lines: [SettlementLine], against batches: [SettlementBatchTotals]) throws(SettlementFileError) {
        let known = Set(batches.map(\.batchID))
        for line in lines where line.status == .succeeded {
            guard let batch = line.batchID, known.contains(batch) else {
                throw SettlementFileError(line: line.lineNumber, field: "batch", problem: "settlement batch \(line.batchID ?? "none") has no totals")
            }
        }
        for batch in batches {
            let settled = lines.filter { $0.batchID == batch.batchID && $0.status == .succeeded }
            var counts: [SettlementTransactionKind: Int] = [:]
            for line in settled {
                guard let amounts = line.settled, amounts.net.currency == batch.currency else {
                    throw SettlementFileError(line: line.lineNumber, field: "currency", problem: "not settled in \(batch.currency) like batch \(batch.batchID)")
                }
                counts[line.kind, default: 0] += 1
            }
            let sums = [
                ("gross", batch.gross, SettlementNumbers.sum(settled.map { $0.settled!.gross.minorUnits })),
                ("fees", batch.fees, SettlementNumbers.sum(settled.map { $0.settled!.fee.minorUnits })),
                ("net", batch.net, SettlementNumbers.sum(settled.map { $0.settled!.net.minorUnits })),
            ]
            for (field, stated, summed) in sums where stated.minorUnits != summed {
                throw SettlementFileError(
                    line: batch.lineNumber, field: field,
                    problem: "batch \(batch.batchID) states \(stated.minorUnits) but its lines add up to \(summed.map(String.init) ?? "more than Int64") minor units"
                )
            }
            if let stated = batch.counts {
                for kind in SettlementTransactionKind.allCases where stated[kind, default: 0] != counts[kind, default: 0] {
                    throw SettlementFileError(
                        line: batch.lineNumber, field: "count",
                        problem: "batch \(batch.batchID) states \(stated[kind, default: 0]) \(kind.rawValue) lines, the file has \(counts[kind, default: 0])"
                    )
                }
            }
        }
    }
}
