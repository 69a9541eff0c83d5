import Foundation
import ShroffCore

/// What one day folder of a provider's files says, parsed and checked: each file is taken whole or
/// refused whole (`refused`, by path, with the line and field), and settlement lines count only
/// when their batch's totals are stated and add up (`SettlementTotals.verify`). Pure.
struct SettlementDayFiles {
    var refused: [String: String] = [:]
    /// The provider's complete list of the day; nil when a file of it is missing or refused.
    var transactions: [SettlementLine]?
    var settled: [SettlementLine] = []
    /// The file of each line, by `SettlementImport.sourceKey`.
    var sources: [String: String] = [:]
    /// The files the day's list comes from.
    var transactionFiles: [String] = []

    /// AMS: the transaction items are the day's list; the settlement items of each batch count
    /// when the batch's summary states totals they add up to.
    static func ams(_ files: [SettlementImporter.LoadedFile]) -> SettlementDayFiles {
        var day = SettlementDayFiles()
        var list: [SettlementLine] = []
        var totals: [String: [SettlementBatchTotals]] = [:]
        var items: [String: [(path: String, lines: [SettlementLine])]] = [:]
        for file in files {
            switch file.name {
            case .amsTransactionItems:
                day.transactionFiles.append(file.path)
                if let lines = day.read(file, AMSSettlementReports.transactionItems) {
                    list += lines
                    day.note(lines, from: file.path)
                }
            case .amsSettlementSummary:
                for batch in day.read(file, AMSSettlementReports.settlementSummary) ?? [] { totals[batch.batchID, default: []].append(batch) }
            case .amsSettlementItems(_, let batchID, _):
                if let lines = day.read(file, AMSSettlementReports.settlementItems) { items[batchID, default: []].append((file.path, lines)) }
            default:
                continue
            }
        }
        day.transactions = day.transactionFiles.isEmpty || day.transactionFiles.contains(where: { day.refused[$0] != nil }) ? nil : list
        for (batchID, parts) in items.sorted(by: { $0.key < $1.key }) {
            day.settle(parts, against: totals[batchID] ?? [], batchID: batchID, summaryName: "settlementSummary")
        }
        return day
    }

    /// WAP: the settlement batch file lists the day's batches; each batch's detail file counts
    /// when its lines add up to the batch's totals, and together they are the day's list.
    static func wap(_ files: [SettlementImporter.LoadedFile]) -> SettlementDayFiles {
        var day = SettlementDayFiles()
        var batches: [SettlementBatchTotals]?
        for file in files {
            guard case .wapSettlementBatches = file.name else { continue }
            day.transactionFiles.append(file.path)
            if let read = day.read(file, WAPSettlementReports.settlementBatches) { batches = (batches ?? []) + read }
        }
        let listed = day.refused.isEmpty ? batches : nil
        var verified: Set<String> = []
        for file in files {
            guard case .wapSettlementDetails(_, _, let batchID) = file.name,
                  let lines = day.read(file, { bytes throws(SettlementFileError) in try WAPSettlementReports.settlementDetails(bytes, batchID: batchID) })
            else { continue }
            if day.settle([(file.path, lines)], against: (listed ?? []).filter { $0.batchID == batchID }, batchID: batchID, summaryName: "settlebatch") {
                verified.insert(batchID)
                day.transactions = (day.transactions ?? []) + lines
            }
        }
        if let listed, Set(listed.map(\.batchID)).isSubset(of: verified) {
            day.transactions = day.transactions ?? []
        } else {
            day.transactions = nil
        }
        return day
    }

    /// The file parsed by `parse`, or nil with the file refused for the reason.
    mutating func read<T>(_ file: SettlementImporter.LoadedFile, _ parse: ([UInt8]) throws(SettlementFileError) -> T) -> T? {
        do {
            return try parse(file.bytes)
        } catch {
            refused[file.path] = error.description
            return nil
        }
    }

    /// Takes a batch's lines as settled when its totals are stated and they add up; else refuses
    /// the batch's files with the reason.
    @discardableResult
    mutating func settle(
        _ parts: [(path: String, lines: [SettlementLine])], against totals: [SettlementBatchTotals], batchID: String, summaryName: String
    ) -> Bool {
        let lines = parts.flatMap(\.lines)
        do {
            guard !totals.isEmpty else {
                throw SettlementFileError(line: 0, field: "file", problem: "batch \(batchID) has no totals: its \(summaryName) file is missing or refused")
            }
            try SettlementTotals.verify(lines, against: totals)
        } catch {
            for part in parts { refused[part.path] = "\(error)" }
            return false
        }
        for part in parts {
            settled += part.lines
            note(part.lines, from: part.path)
        }
        return true
    }

    mutating func note(_ lines: [SettlementLine], from path: String) {
        for line in lines where sources[SettlementImport.sourceKey(line.kind, line.referenceID)] == nil {
            sources[SettlementImport.sourceKey(line.kind, line.referenceID)] = path
        }
    }
}
