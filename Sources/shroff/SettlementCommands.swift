import ArgumentParser
import Foundation
import ShroffApp

/// `shroff settlements import`: the operator's side (the configured database and settlement folder).
struct Settlements: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The providers' settlement files.", subcommands: [Import.self]
    )

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
