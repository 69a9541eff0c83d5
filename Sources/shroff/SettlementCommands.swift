import ArgumentParser
import Foundation
import ShroffApp
import ShroffClient

/// `shroff settlements list`: the merchant's settlements through the API (the saved login);
/// `shroff settlements import`: the operator's side (the configured database and settlement folder).
struct Settlements: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Settlements: list yours (merchant), or take the providers' files in (operator).", subcommands: [List.self, Import.self]
    )

    /// A payment's or refund's settlement, as `intents query` and `refunds query` show it.
    static func fields(_ settlement: Settlement?) -> [(String, String?)] {
        guard let settlement else { return [] }
        let currency = settlement.settlementCurrency.map { " \($0)" } ?? ""
        return [
            ("provider_id", settlement.providerTransactionID), ("batch", settlement.batchID),
            ("settled", settlement.settlementAmount.map { $0 + currency }), ("fee", settlement.fee.map { $0 + currency }),
            ("net", settlement.netAmount.map { $0 + currency }),
        ]
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List your settlements per batch and day: count, gross, fees, net.")
        @Option(name: .customLong("from"), help: "First day, YYYY-MM-DD.") var dateFrom: String?
        @Option(name: .customLong("to"), help: "Last day, YYYY-MM-DD.") var dateTo: String?
        @Option var cursor: String?
        @Option var limit = 20
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let client = try Profile.load().client
            let page = try await shroff.run {
                try await client.settlements(SettlementFilter(dateFrom: dateFrom, dateTo: dateTo, cursor: cursor, limit: limit))
            }
            if output.json {
                try output.print(page, fields: [])
                return
            }
            for batch in page.batches {
                print("\(batch.settlementDate)  \(batch.provider)  \(batch.batchID)  \(batch.count) lines  gross \(batch.grossAmount)  fees \(batch.feeAmount)  net \(batch.netAmount) \(batch.currency)")
            }
            if let next = page.nextCursor { print(Terminal.dim("more: --cursor \(next)")) }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take the providers' settlement files in from the settlement folder (SHROFF_SETTLEMENT_FOLDER, default <data dir>/settlements) and print what was found as one JSON object."
        )

        @Option(help: "Only the files of this day (YYYY-MM-DD); every day folder when not given.")
        var date: String?

        func run() async throws {
            let reader = settingsReader()
            let logger = makeLogger("shroff", settings: LogSettings(reading: reader))
            let configuration = try GatewayConfiguration(reading: reader)
            let report = try await SettlementAdministration.importFiles(date: date, configuration: configuration, logger: logger)
            Console.write(try SettlementAdministration.json(report))
        }
    }
}
