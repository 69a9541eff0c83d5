import Foundation
import Logging
import ShroffApp
import ShroffConnectors
import ShroffCore
import ShroffSandbox
import Testing

/// Settlement reconciliation end to end (issue 19): a day of payments and refunds through the
/// embedded sandbox (AMS and the WAP gateway), the sandbox's files of the day written into the
/// gateway's settlement folder, taken in and matched; then each discrepancy the sandbox can inject,
/// reported exactly once.
@Suite("Settlement reconciliation end to end")
struct SettlementTests {
    /// A settlement zone whose noon is now, so that the test's payments never straddle a midnight.
    let utcOffsetSeconds = (12 * 3600 - Int(Date().timeIntervalSince1970) % 86_400) / 60 * 60
    let logger = Logger(label: "e2e-settlement")

    func day(_ offsetDays: Int) -> (date: String, compact: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: utcOffsetSeconds)!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date().addingTimeInterval(Double(offsetDays) * 86_400))
        let date = String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
        return (date, date.replacingOccurrences(of: "-", with: ""))
    }

    func run(_ body: (Running) async throws -> Void) async throws {
        try await Running.with(.embedded, adjust: { [utcOffsetSeconds] configuration in
            LifecycleTests.fast(&configuration)
            configuration.settlementUTCOffsetSeconds = utcOffsetSeconds
            configuration.settlementImportInterval = .seconds(3600)
            configuration.operatorToken = DashboardTests.operatorToken
        }, body)
    }

    func sandbox(_ server: Running, _ path: String, _ body: String) async throws -> Running.Answer {
        let answer = try await server.send(
            .POST, "\(server.sandboxURL)/sandbox/v1/settlements/\(path)", headers: [("Content-Type", "application/json")], body: body
        )
        #expect(answer.status == 200, "sandbox \(path): \(answer.body)")
        return answer
    }

    func importFiles(_ server: Running, date: String) async throws -> SettlementImportReport {
        try await SettlementAdministration.importFiles(date: date, configuration: server.configuration, logger: logger)
    }

    static func paid(_ server: Running, token: String, _ body: String) async throws -> String {
        let created = try await server.api("pa/payment_intents/create", token: token, body)
        let orderID = try #require(created.data["order_id"] as? String, "\(created.body)")
        _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
        #expect(try await server.awaitFinal(orderID: orderID, token: token).data["status"] as? String == "SUCCEEDED")
        return orderID
    }

    static func refunded(_ server: Running, token: String, orderID: String, amount: String) async throws -> String {
        let answer = try await LifecycleTests.refund(server, token: token, orderID: orderID, amount: amount)
        let refundID = try #require(answer.data["refund_id"] as? String, "\(answer.body)")
        #expect(try await LifecycleTests.awaitRefund(server, token: token, refundID: refundID)["status"] as? String == "SUCCEEDED")
        return refundID
    }

    /// The nets the sandbox's summaries state, per currency: AMS `settlementSummary` TOTAL rows and
    /// WAP `settlebatch` rows, read with the gateway's own parsers.
    func providerNets(_ server: Running, compact: String) throws -> [String: Int64] {
        var nets: [String: Int64] = [:]
        let folder = server.configuration.settlementFolderPath
        for root in ["v1/settlements", "wap"] {
            for owner in (try? FileManager.default.contentsOfDirectory(atPath: "\(folder)/\(root)")) ?? [] {
                let dayFolder = "\(folder)/\(root)/\(owner)/\(compact)"
                for name in try FileManager.default.contentsOfDirectory(atPath: dayFolder) {
                    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dayFolder)/\(name)")))
                    let batches: [SettlementBatchTotals]
                    switch SettlementFileName(name) {
                    case .amsSettlementSummary: batches = try AMSSettlementReports.settlementSummary(bytes)
                    case .wapSettlementBatches: batches = try WAPSettlementReports.settlementBatches(bytes)
                    default: continue
                    }
                    for batch in batches { nets[batch.currency.code, default: 0] += batch.net.minorUnits }
                }
            }
        }
        return nets
    }

    func merchantNets(_ server: Running, date: String) async throws -> [String: Int64] {
        let batches = try await DatabaseConnection.with(configuration: server.configuration, logger: logger) { database in
            try await database.store.settlementBatches(merchantUID: server.credentials.uid, from: date, to: date, limit: 100, offset: 0)
        }
        return batches.reduce(into: [:]) { $0[$1.net.currency.code, default: 0] += $1.net.minorUnits }
    }

    /// `pa/settlements/list` and the settlement on intent and refund queries, as the document says.
    func checkAPI(_ server: Running, token: String, date: String, payment: String, refund: String) async throws {
        let validator = try WebhookSchemaTests.committedValidator()
        func schema(_ name: String) -> JSONValue { .object(["$ref": .string("#/components/schemas/\(name)")]) }
        func json(_ answer: Running.Answer) throws -> JSONValue {
            guard case .object(let envelope) = try JSONDecoder().decode(JSONValue.self, from: Data(answer.body.utf8)), let data = envelope["data"] else {
                throw SchemaProblem(text: answer.body)
            }
            return data
        }
        let listed = try await server.api("pa/settlements/list", token: token, #"{"date_from":"\#(date)","date_to":"\#(date)","limit":1}"#)
        #expect(listed.code == 0, "\(listed.body)")
        // The validator reads no `items`: each batch against its schema.
        guard case .object(let page) = try json(listed), case .array(let items)? = page["batches"] else { throw SchemaProblem(text: listed.body) }
        let listedProblems = items.flatMap { validator.errors(in: $0, against: schema("SettlementBatch")) }
        #expect(listedProblems.isEmpty, "\(listedProblems)")
        let batches = try #require(listed.data["batches"] as? [[String: Any]])
        #expect(batches.count == 1 && listed.data["has_more"] as? Bool == true)
        let cursor = try #require(listed.data["next_cursor"] as? String)
        let rest = try await server.api("pa/settlements/list", token: token, #"{"date_from":"\#(date)","cursor":"\#(cursor)"}"#)
        #expect((rest.data["batches"] as? [Any])?.isEmpty == false && rest.data["has_more"] as? Bool == false)
        let bad = try await server.api("pa/settlements/list", token: token, #"{"date_from":"03/12/2026"}"#)
        #expect(bad.code == 40001 && bad.message.contains("date_from"), "\(bad.body)")

        let intent = try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"\#(payment)"}"#)
        let intentProblems = validator.errors(in: try json(intent), against: schema("Intent"))
        #expect(intentProblems.isEmpty, "\(intentProblems)")
        let settlement = try #require(intent.data["settlement"] as? [String: Any], "\(intent.body)")
        // 10 HKD at 1.8 %: 0.18 taken, 9.82 paid out.
        #expect(settlement["settlement_amount"] as? String == "10" && settlement["fee"] as? String == "0.18")
        #expect(settlement["net_amount"] as? String == "9.82" && settlement["settlement_currency"] as? String == "HKD")
        #expect(settlement["batch_id"] as? String != nil && settlement["provider_transaction_id"] as? String != nil)
        let refunded = try await server.api("pa/refunds/query", token: token, #"{"refund_id":"\#(refund)"}"#)
        let refundedProblems = validator.errors(in: try json(refunded), against: schema("Refund"))
        #expect(refundedProblems.isEmpty, "\(refundedProblems)")
        let returned = try #require(refunded.data["settlement"] as? [String: Any], "\(refunded.body)")
        #expect(returned["settlement_amount"] as? String == "-20.5" && returned["fee"] as? String == "-0.37")
    }

    /// The merchant's settlements page and a payment's settlement; the operator console's discrepancies.
    func checkConsoles(_ server: Running, payment: String, discrepancies: [SettlementDiscrepancy]) async throws {
        try await ConsoleBrowser.with(server.gatewayURL) { merchant in
            _ = try await merchant.signIn(server.credentials)
            let list = try await merchant.get("/dashboard/settlements")
            #expect(list.status == 200)
            #expect(list.body.contains("HKD") && list.body.contains("ams") && list.body.contains("wap"), "\(list.body)")
            let refused = try await merchant.get("/dashboard/settlements?date_from=yesterday")
            #expect(refused.body.contains("date_from: must be a day written YYYY-MM-DD"))
            let page = try await merchant.get("/dashboard/payments/\(payment)")
            #expect(page.body.contains("id=\"settlement\"") && page.body.contains("<dt>Fee</dt>"), "\(page.body)")
        }
        try await ConsoleBrowser.with(server.gatewayURL) { op in
            #expect(try await op.post("/operator/sign-in", [("operator_token", DashboardTests.operatorToken)]).status == 303)
            let home = try await op.get("/operator")
            #expect(home.body.contains("Settlement discrepancies"))
            for discrepancy in discrepancies {
                #expect(home.body.contains(discrepancy.reference) && home.body.contains(discrepancy.kind.rawValue))
            }
            // Each discrepancy is also one operator alert, in the alerts list.
            let alertRows = home.body.components(separatedBy: "<td><code>settlement_discrepancy</code></td>").count - 1
            #expect(alertRows == discrepancies.count, "\(alertRows) settlement_discrepancy alerts for \(discrepancies.count) discrepancies")
        }
    }

    struct SchemaProblem: Error {
        let text: String
    }

    @Test("a day through the sandbox matches; again changes nothing; each injected discrepancy is reported once; nets add up")
    func dayMatchesThenDiscrepancies() async throws {
        try await run { server in
            let token = try await server.login()
            let (date, compact) = day(0)
            // AMS: two in-store HKD payments and a USD cashier payment settled in HKD; two refunds.
            let first = try await Self.paid(server, token: token, seed001Request(amount: "10"))
            let second = try await Self.paid(server, token: token, seed001Request(amount: "20.5"))
            let cashier = try await Self.paid(server, token: token, seed000Request(amount: "3"))
            _ = try await Self.refunded(server, token: token, orderID: first, amount: "4")
            let fullRefund = try await Self.refunded(server, token: token, orderID: second, amount: "20.5")
            // WAP: a mobile_web payment and a refund of it.
            let mobile = try await MobileWebTests.paidIntent(server, token: token)
            let mobileRefund = try await Self.refunded(server, token: token, orderID: mobile, amount: "1")

            let generated = try await sandbox(server, "generate", #"{"date":"\#(date)"}"#)
            #expect((generated.json["files"] as? [Any])?.isEmpty == false)
            let report = try await importFiles(server, date: date)
            #expect(report.filesRefused.isEmpty, "\(report.filesRefused)")
            #expect(report.discrepancies.isEmpty, "\(report.discrepancies)")
            #expect(report.matched == 7)
            #expect(report.daysApplied == 2)
            // The merchant's nets are the provider's to the minor unit (the only merchant of the day).
            let provider = try providerNets(server, compact: compact)
            #expect(!provider.isEmpty)
            #expect(try await merchantNets(server, date: date) == provider)

            try await checkAPI(server, token: token, date: date, payment: first, refund: fullRefund)

            // The same files again: nothing is taken in, nothing changes.
            let again = try await importFiles(server, date: date)
            #expect(again.filesTaken.isEmpty && again.daysApplied == 0 && again.discrepancies.isEmpty)

            // Every discrepancy the sandbox can inject, then the day's files written again.
            _ = try await sandbox(server, "discrepancies", """
                {"discrepancies": [
                  {"type": "omit", "reference": "\(cashier)"},
                  {"type": "extra", "reference": "EXTRA-\(compact)", "provider": "ams", "date": "\(date)", "amount": {"currency": "HKD", "value": "777"}},
                  {"type": "amount", "reference": "\(first)", "amount": {"value": "999"}},
                  {"type": "refund_failed", "reference": "\(fullRefund)"},
                  {"type": "refund_failed", "reference": "\(mobileRefund)"}
                ]}
                """)
            _ = try await sandbox(server, "generate", #"{"date":"\#(date)"}"#)
            let found = try await importFiles(server, date: date)
            #expect(found.filesRefused.isEmpty, "\(found.filesRefused)")
            #expect(Set(found.discrepancies.map { "\($0.provider.rawValue) \($0.kind.rawValue) \($0.reference)" }) == [
                "ams missing_at_provider \(cashier)", "ams unknown_to_us EXTRA-\(compact)", "ams amount_mismatch \(first)",
                "ams status_mismatch \(fullRefund)", "wap status_mismatch \(mobileRefund)",
            ])
            #expect(found.discrepancies.count == 5)
            let mismatch = try #require(found.discrepancies.first { $0.kind == .amountMismatch })
            #expect(mismatch.expected == "SUCCEEDED 10 HKD" && mismatch.reported == "SUCCEEDED 9.99 HKD")
            // Written again, taken in again: each is still recorded once.
            _ = try await sandbox(server, "discrepancies", #"{"discrepancies": []}"#)
            _ = try await sandbox(server, "generate", #"{"date":"\#(date)"}"#)
            let clean = try await importFiles(server, date: date)
            #expect(clean.discrepancies.isEmpty)
            let recorded = try await SettlementAdministration.discrepancies(configuration: server.configuration, logger: logger)
            #expect(recorded.count == 5)
            try await checkConsoles(server, payment: first, discrepancies: recorded)
            // The clean files once more: the merchant's nets are the provider's again.
            #expect(try await merchantNets(server, date: date) == (try providerNets(server, compact: compact)))
        }
    }

    @Test("a malformed file is refused whole with its line and field; the day's other files are taken; a bad --date is refused")
    func malformedFileIsRefused() async throws {
        try await run { server in
            let (date, compact) = day(-1)
            _ = try await sandbox(server, "generate", #"{"date":"\#(date)"}"#)
            let folder = "\(server.configuration.settlementFolderPath)/v1/settlements/\(SandboxDefaults.clientID)/\(compact)"
            let broken = """
                customerId,transactionId,transactionRequestId,transactionType,paymentTime,transactionAmountValue,transactionCurrency
                \(SandboxDefaults.clientID),2026X,C1,PAYMENT,2026-01-01T10:00:00+08:00,12.50,HKD
                <END>

                """
            try broken.write(toFile: "\(folder)/transactionItems_\(compact)_001.csv", atomically: true, encoding: .utf8)
            let report = try await importFiles(server, date: date)
            #expect(report.filesRefused.count == 1)
            let refusal = try #require(report.filesRefused.first)
            #expect(refusal.contains("transactionItems_\(compact)_001.csv: line 2, transactionAmountValue"), "\(refusal)")
            #expect(report.filesTaken.contains { $0.hasSuffix("transactionItems_\(compact)_000.csv") })
            // Refused once: the same bytes are not looked at again.
            #expect(try await importFiles(server, date: date).filesRefused.isEmpty)
            await #expect(throws: ConfigurationError.self) { _ = try await importFiles(server, date: "2026-02-30") }
        }
    }
}
