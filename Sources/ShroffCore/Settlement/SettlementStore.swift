import Foundation

/// One version of a provider's file as the gateway took it in: a file is known by its path in the
/// settlement folder and the SHA-256 of its bytes, so the same file twice changes nothing and a
/// file the provider re-issued under the same name is a new version (the newest one counts).
public struct SettlementFileRecord: Sendable, Equatable {
    /// Relative to the settlement folder (`v1/settlements/<customerId>/<yyyyMMdd>/transactionItems_….csv`).
    public let path: String
    /// Lower-case hex.
    public let sha256: String
    /// `ams_transaction_items`, `ams_settlement_items`, `ams_settlement_summary`, `wap_settlement_batches`, `wap_settlement_details`.
    public let kind: String
    /// The day of the folder, `YYYY-MM-DD`.
    public let date: String
    /// When this version was last taken in.
    public let importedAt: Date
    /// Why the file was refused whole (`line 3, transactionAmountValue: …`); nil when taken.
    public let error: String?

    public init(path: String, sha256: String, kind: String, date: String, importedAt: Date, error: String?) {
        self.path = path
        self.sha256 = sha256
        self.kind = kind
        self.date = date
        self.importedAt = importedAt
        self.error = error
    }
}

/// Everything one day of one provider's files says, for `SettlementStore.importSettlement`, which
/// applies it in one transaction.
public struct SettlementImport: Sendable {
    public let provider: SettlementProvider
    /// `YYYY-MM-DD`, the day of the files' folder.
    public let date: String
    /// The day in the provider's settlement zone.
    public let day: DateInterval
    /// The versions of files not taken in before (taken or refused); the import is skipped when
    /// another node has recorded one of them meanwhile.
    public let newFiles: [SettlementFileRecord]
    /// The provider's complete list of the day's transactions (AMS transaction items, WAP detail
    /// files); nil when it is missing or was refused, and then nothing is found missing.
    public let transactions: [SettlementLine]?
    /// Lines with their settlement amounts and batch, from files whose totals were verified.
    public let settled: [SettlementLine]
    /// The file each line came from, by `SettlementImport.sourceKey`.
    public let sources: [String: String]
    /// Where the day's list came from, for the discrepancies of transactions missing from it.
    public let transactionFiles: String

    public init(
        provider: SettlementProvider, date: String, day: DateInterval, newFiles: [SettlementFileRecord], transactions: [SettlementLine]?,
        settled: [SettlementLine], sources: [String: String], transactionFiles: String
    ) {
        self.provider = provider
        self.date = date
        self.day = day
        self.newFiles = newFiles
        self.transactions = transactions
        self.settled = settled
        self.sources = sources
        self.transactionFiles = transactionFiles
    }

    public static func sourceKey(_ kind: SettlementTransactionKind, _ reference: String) -> String { "\(kind.rawValue):\(reference)" }
}

/// What `SettlementStore.importSettlement` did.
public enum SettlementImportOutcome: Sendable, Equatable {
    /// Applied: every transaction's outcome, and the discrepancies recorded for the first time.
    case applied(matches: [SettlementMatch], newDiscrepancies: [SettlementDiscrepancy])
    /// Another import (another node) took these files in first; nothing changed.
    case alreadyImported
}

/// A difference between a provider's files and our books, recorded once per kind, provider,
/// reference and day. Nothing is changed to make it go away: the operator looks into it.
public struct SettlementDiscrepancy: Sendable, Equatable {
    public let kind: SettlementMatchKind
    public let provider: SettlementProvider
    public let transactionKind: SettlementTransactionKind
    public let reference: String
    public let providerTransactionID: String?
    public let merchantUID: Int64?
    /// Ours and the provider's, as `SettlementMatch.expected` / `reported` write them.
    public let expected: String?
    public let reported: String?
    /// `YYYY-MM-DD`.
    public let date: String
    public let file: String
    public let createdAt: Date

    public init(
        kind: SettlementMatchKind, provider: SettlementProvider, transactionKind: SettlementTransactionKind, reference: String,
        providerTransactionID: String?, merchantUID: Int64?, expected: String?, reported: String?, date: String, file: String,
        createdAt: Date
    ) {
        self.kind = kind
        self.provider = provider
        self.transactionKind = transactionKind
        self.reference = reference
        self.providerTransactionID = providerTransactionID
        self.merchantUID = merchantUID
        self.expected = expected
        self.reported = reported
        self.date = date
        self.file = file
        self.createdAt = createdAt
    }
}

/// What the provider's files said about one of our payments or refunds: its id there, and once
/// settled, the batch and the amounts in the settlement currency (signed as they move the balance).
public struct SettlementDetails: Sendable, Equatable {
    public let providerTransactionID: String
    public let batchID: String?
    public let settled: SettledAmounts?
    /// `YYYY-MM-DD` of the files that said it.
    public let date: String

    public init(providerTransactionID: String, batchID: String?, settled: SettledAmounts?, date: String) {
        self.providerTransactionID = providerTransactionID
        self.batchID = batchID
        self.settled = settled
        self.date = date
    }
}

/// One merchant's part of a provider's settlement batch: the lines of its payments and refunds.
public struct MerchantSettlementBatch: Sendable, Equatable {
    public let provider: SettlementProvider
    public let batchID: String
    public let merchantUID: Int64
    /// `YYYY-MM-DD`.
    public let date: String
    public let count: Int
    public let gross: Money
    public let fees: Money
    public let net: Money

    public init(provider: SettlementProvider, batchID: String, merchantUID: Int64, date: String, count: Int, gross: Money, fees: Money, net: Money) {
        self.provider = provider
        self.batchID = batchID
        self.merchantUID = merchantUID
        self.date = date
        self.count = count
        self.gross = gross
        self.fees = fees
        self.net = net
    }
}

/// Persistence of settlement reconciliation.
public protocol SettlementStore: Sendable {
    /// Whether this version of the file is the newest taken in (or refused) for its path: then it
    /// changes nothing. A version taken in before counts again when a newer one came between.
    func isSettlementFileKnown(path: String, sha256: String) async throws -> Bool
    /// In one transaction: records the new file versions (skipping the whole import, as
    /// `.alreadyImported`, when another import made one of them the newest first), matches the lines against our
    /// records (`SettlementMatching`), keeps each known transaction's provider id and settlement,
    /// recomputes the merchants' parts of the batches, and records each discrepancy once.
    func importSettlement(_ settlement: SettlementImport, now: Date) async throws -> SettlementImportOutcome
    /// The newest first.
    func settlementDiscrepancies(limit: Int) async throws -> [SettlementDiscrepancy]
    /// The newest files first.
    func settlementFiles(limit: Int) async throws -> [SettlementFileRecord]
    /// A merchant's batches with `from <= date <= to` (`YYYY-MM-DD`, either may be nil), newest day
    /// first, then by batch id; at most `limit`, after `offset`.
    func settlementBatches(merchantUID: Int64, from: String?, to: String?, limit: Int, offset: Int) async throws -> [MerchantSettlementBatch]
    /// A payment's (`.payment`, its order_id) or refund's (`.refund`, its refund_id) settlement.
    func settlementDetails(_ kind: SettlementTransactionKind, reference: String) async throws -> SettlementDetails?
}

/// What one import run did, for logs, the command line and tests.
public struct SettlementImportReport: Sendable, Equatable {
    /// File versions taken in for the first time, and those refused (`path: line 3, field: problem`).
    public var filesTaken: [String] = []
    public var filesRefused: [String] = []
    /// Day folders whose files were applied.
    public var daysApplied = 0
    public var matched = 0
    /// Discrepancies recorded for the first time.
    public var discrepancies: [SettlementDiscrepancy] = []

    public init() {}
}

/// Takes the providers' files in from the settlement folder (`SettlementImporter`); the background
/// service runs it on a schedule.
public protocol SettlementImporting: Sendable {
    /// The day folders of the last `days` days, by their names (the schedule).
    func importRecent(days: Int, now: Date) async throws -> SettlementImportReport
}
