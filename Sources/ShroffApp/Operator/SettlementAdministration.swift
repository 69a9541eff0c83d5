import Foundation
import Logging
import ShroffConnectors
import ShroffCore

/// The operator's settlement command (`shroff settlements import`): takes the providers' files in
/// from the settlement folder into the configured database, also while the server runs.
public enum SettlementAdministration {
    /// Imports the day folders of `date` (`YYYY-MM-DD`), or every day folder when nil.
    public static func importFiles(date: String?, configuration: GatewayConfiguration, logger: Logger) async throws -> SettlementImportReport {
        if let date, !SettlementDate.isValid(date) { throw ConfigurationError(description: "--date: expected a day written YYYY-MM-DD") }
        return try await DatabaseConnection.with(configuration: configuration, logger: logger) { database in
            let report = try await importer(configuration: configuration, store: database.store, logger: logger).importFiles(date: date)
            // No alert writer runs in this process: the new discrepancies' alerts are stored here.
            try await database.store.recordAlerts(report.discrepancies.map(operatorAlert))
            return report
        }
    }

    /// The discrepancies recorded, newest first.
    public static func discrepancies(configuration: GatewayConfiguration, logger: Logger, limit: Int = 1000) async throws -> [SettlementDiscrepancy] {
        try await DatabaseConnection.with(configuration: configuration, logger: logger) { try await $0.store.settlementDiscrepancies(limit: limit) }
    }

    static func importer(
        configuration: GatewayConfiguration, store: any SettlementStore, logger: Logger,
        alert: @escaping @Sendable (RaisedAlert) -> Void = { _ in }
    ) -> SettlementImporter {
        SettlementImporter(
            folder: configuration.settlementFolderPath, utcOffsetSeconds: configuration.settlementUTCOffsetSeconds, store: store,
            logger: logger.with(metadata: "component", "settlements"), alert: { alert(operatorAlert(for: $0)) }
        )
    }

    /// A discrepancy as the operator console's alert list shows it: the payment or refund it names.
    static func operatorAlert(for discrepancy: SettlementDiscrepancy) -> RaisedAlert {
        let isRefund = discrepancy.transactionKind == .refund
        return RaisedAlert(
            .settlementDiscrepancy, merchantUID: discrepancy.merchantUID,
            orderID: isRefund ? nil : discrepancy.reference, refundID: isRefund ? discrepancy.reference : nil,
            detail: "\(discrepancy.kind.rawValue) in the \(discrepancy.provider.rawValue) files of \(discrepancy.date): "
                + "expected \(discrepancy.expected ?? "nothing"), reported \(discrepancy.reported ?? "nothing")",
            time: discrepancy.createdAt
        )
    }

    /// What the command prints: one JSON object.
    public static func json(_ report: SettlementImportReport) throws -> String {
        let object: [String: Any] = [
            "files_taken": report.filesTaken, "files_refused": report.filesRefused, "days_applied": report.daysApplied,
            "matched": report.matched,
            "discrepancies": report.discrepancies.map { discrepancy in
                [
                    "kind": discrepancy.kind.rawValue, "provider": discrepancy.provider.rawValue,
                    "transaction": discrepancy.transactionKind.rawValue, "reference": discrepancy.reference,
                    "provider_transaction_id": discrepancy.providerTransactionID ?? "", "expected": discrepancy.expected ?? "",
                    "reported": discrepancy.reported ?? "", "date": discrepancy.date, "file": discrepancy.file,
                ]
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
