import Crypto
import Foundation
import Logging
import ShroffCore

/// Takes the providers' daily files in from the settlement folder, laid out as their SFTP
/// (docs/settlement-formats.md): `v1/settlements/<customerId>/<yyyyMMdd>/` for AMS and
/// `wap/<partner>/<yyyyMMdd>/` for the WAP gateway. A day folder is taken in whole, in one
/// transaction, whenever one of its files is new (a file not seen before, or a new version of one);
/// a file already taken in, byte for byte, changes nothing. A malformed file is refused whole with
/// its line and field, recorded and logged, and the day's other files still count.
public struct SettlementImporter: SettlementImporting {
    public let folder: String
    /// The zone whose midnight ends the providers' settlement day (UTC+8 for Alipay).
    public let utcOffsetSeconds: Int
    let store: any SettlementStore
    let logger: Logger
    /// Told of each discrepancy recorded for the first time (the operator alert).
    let alert: @Sendable (SettlementDiscrepancy) -> Void

    public init(
        folder: String, utcOffsetSeconds: Int, store: any SettlementStore, logger: Logger,
        alert: @escaping @Sendable (SettlementDiscrepancy) -> Void = { _ in }
    ) {
        self.folder = folder
        self.utcOffsetSeconds = utcOffsetSeconds
        self.store = store
        self.logger = logger
        self.alert = alert
    }

    /// The day folders of `date` (`YYYY-MM-DD`), or every day folder when nil.
    public func importFiles(date: String?, now: Date = Date()) async throws -> SettlementImportReport {
        let compact = date.map { $0.replacingOccurrences(of: "-", with: "") }
        return try await importDays(now: now) { compact == nil || $0 == compact }
    }

    public func importRecent(days: Int, now: Date) async throws -> SettlementImportReport {
        let first = Self.compactDay(now.addingTimeInterval(-Double(days) * 86_400), utcOffsetSeconds: utcOffsetSeconds)
        return try await importDays(now: now) { $0 >= first }
    }

    func importDays(now: Date, where wanted: (String) -> Bool) async throws -> SettlementImportReport {
        var report = SettlementImportReport()
        for day in dayFolders() where wanted(day.compactDate) {
            try await importDay(day, now: now, into: &report)
        }
        return report
    }

    // MARK: Folders

    struct DayFolder {
        let provider: SettlementProvider
        /// Relative to the settlement folder.
        let path: String
        let compactDate: String

        var date: String {
            let text = Array(compactDate)
            return "\(String(text[0..<4]))-\(String(text[4..<6]))-\(String(text[6..<8]))"
        }
    }

    /// Every `<owner>/<yyyyMMdd>` folder under each provider's root, oldest day first.
    func dayFolders() -> [DayFolder] {
        var days: [DayFolder] = []
        for (provider, root) in [(SettlementProvider.ams, "v1/settlements"), (.wap, "wap")] {
            for owner in Self.entries(of: folder + "/" + root) {
                for date in Self.entries(of: "\(folder)/\(root)/\(owner)")
                where date.utf8.count == 8 && date.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
                    days.append(DayFolder(provider: provider, path: "\(root)/\(owner)/\(date)", compactDate: date))
                }
            }
        }
        return days.sorted { ($0.compactDate, $0.path) < ($1.compactDate, $1.path) }
    }

    /// The names in a folder, hidden ones (the sandbox's temporary files) left out.
    static func entries(of path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    static func compactDay(_ date: Date, utcOffsetSeconds: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: utcOffsetSeconds)!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d%02d%02d", parts.year!, parts.month!, parts.day!)
    }

    func interval(of day: DayFolder) -> DateInterval? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: utcOffsetSeconds)!
        let text = day.compactDate
        guard let year = Int(text.prefix(4)), let month = Int(text.dropFirst(4).prefix(2)), let dayOfMonth = Int(text.suffix(2)),
              DateComponents(year: year, month: month, day: dayOfMonth).isValidDate(in: calendar),
              let start = calendar.date(from: DateComponents(year: year, month: month, day: dayOfMonth)),
              let end = calendar.date(byAdding: .day, value: 1, to: start) else { return nil }
        return DateInterval(start: start, end: end)
    }

    // MARK: A day

    /// One file of a day folder as read: its kind from its name, and its bytes' hash.
    struct LoadedFile {
        let path: String
        let name: SettlementFileName
        let bytes: [UInt8]
        let sha256: String
    }

    func importDay(_ day: DayFolder, now: Date, into report: inout SettlementImportReport) async throws {
        guard let interval = interval(of: day) else { return }
        var files: [LoadedFile] = []
        for entry in Self.entries(of: folder + "/" + day.path) {
            guard let name = SettlementFileName(entry) else { continue }
            let path = day.path + "/" + entry
            // At most one byte beyond the parsers' bound: a larger file is refused without being read whole.
            guard let handle = FileHandle(forReadingAtPath: folder + "/" + path) else { continue }
            let data = (try? handle.read(upToCount: SettlementTable.maxFileBytes + 1)) ?? nil
            try? handle.close()
            let bytes = [UInt8](data ?? Data())
            let hash = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            files.append(LoadedFile(path: path, name: name, bytes: bytes, sha256: hash))
        }
        var unseen: [LoadedFile] = []
        for file in files {
            if try await !store.isSettlementFileKnown(path: file.path, sha256: file.sha256) { unseen.append(file) }
        }
        guard !unseen.isEmpty else { return }
        let parsed = day.provider == .ams ? SettlementDayFiles.ams(files) : SettlementDayFiles.wap(files)
        let records = unseen.map {
            SettlementFileRecord(
                path: $0.path, sha256: $0.sha256, kind: $0.name.kind, date: day.date, importedAt: now, error: parsed.refused[$0.path]
            )
        }
        let settlement = SettlementImport(
            provider: day.provider, date: day.date, day: interval, newFiles: records, transactions: parsed.transactions,
            settled: parsed.settled, sources: parsed.sources, transactionFiles: parsed.transactionFiles.joined(separator: ", ")
        )
        guard case .applied(let matches, let discrepancies) = try await store.importSettlement(settlement, now: now) else { return }
        report.daysApplied += 1
        report.matched += matches.filter { $0.kind == .matched }.count
        for record in records {
            if let error = record.error {
                report.filesRefused.append("\(record.path): \(error)")
                logger.error("settlement file refused", metadata: ["file": "\(record.path)", "error": "\(error)"])
            } else {
                report.filesTaken.append(record.path)
            }
        }
        for discrepancy in discrepancies {
            report.discrepancies.append(discrepancy)
            logger.error("settlement discrepancy", metadata: [
                "alert": "settlement_discrepancy", "kind": "\(discrepancy.kind.rawValue)", "provider": "\(discrepancy.provider.rawValue)",
                "reference": "\(discrepancy.reference)", "provider_transaction_id": "\(discrepancy.providerTransactionID ?? "")",
                "expected": "\(discrepancy.expected ?? "")", "reported": "\(discrepancy.reported ?? "")", "date": "\(discrepancy.date)",
                "file": "\(discrepancy.file)",
            ])
            alert(discrepancy)
        }
        logger.info("settlement files imported", metadata: [
            "folder": "\(day.path)", "files": "\(records.count)", "matched": "\(matches.filter { $0.kind == .matched }.count)",
            "discrepancies": "\(discrepancies.count)",
        ])
    }
}

extension SettlementFileName {
    /// As `SettlementFileRecord.kind` names it.
    var kind: String {
        switch self {
        case .amsTransactionItems: "ams_transaction_items"
        case .amsSettlementItems: "ams_settlement_items"
        case .amsSettlementSummary: "ams_settlement_summary"
        case .wapSettlementBatches: "wap_settlement_batches"
        case .wapSettlementDetails: "wap_settlement_details"
        }
    }
}
