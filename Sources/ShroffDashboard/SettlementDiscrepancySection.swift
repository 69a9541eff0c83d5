import Foundation
import ShroffCore

/// The operator console's settlement section: the discrepancies reconciliation recorded between
/// the providers' daily files and our books, newest first. Nothing was changed to hide them: each
/// is for the operator to look into (README, "Settlement").
enum SettlementDiscrepancySection {
    static let meanings = [
        "missing_at_provider: we recorded it as succeeded, the provider's day lacks it",
        "unknown_to_us: the provider has a transaction we never recorded",
        "amount_mismatch: the provider reports another amount or currency",
        "status_mismatch: the provider reports another outcome (a refund failed)",
    ]

    static func html(_ store: (any SettlementStore)?, timestamps: TimestampFormat, limit: Int = 50) async throws -> String {
        guard let store else { return "" }
        let rows = try await store.settlementDiscrepancies(limit: limit).map { item in
            [
                HTML.escape(item.date), "<span class=\"status\">\(HTML.escape(item.kind.rawValue))</span>",
                HTML.escape("\(item.provider.rawValue) \(item.transactionKind.rawValue)"),
                "<span class=\"mono\">\(HTML.escape(item.reference))</span>",
                "<span class=\"mono\">\(HTML.escape(item.providerTransactionID ?? ""))</span>",
                HTML.escape(item.expected ?? "—"), HTML.escape(item.reported ?? "—"),
                "<span class=\"mono\">\(HTML.escape(item.file))</span>", HTML.escape(timestamps.string(from: item.createdAt)),
            ]
        }
        return """
            <h2>Settlement discrepancies</h2>
            <p class="muted">\(meanings.map(HTML.escape).joined(separator: "; ")).</p>
            \(PageKit.table(
                headers: ["Day", "Kind", "Transaction", "Reference", "Provider id", "Ours", "Provider's", "File", "Found"], rows: rows,
                empty: "None: every imported settlement line matched our records."
            ))
            """
    }
}
