import AsyncHTTPClient
import Foundation
import ShroffConnectors
import ShroffCore
import ShroffSandbox
import Synchronization
import Testing

/// The sandbox's settlement files, from payments and refunds made through its own AMS and WAP
/// paths, read back by the connectors' parsers (written independently): docs/settlement-formats.md.
@Suite("Sandbox settlement files: generated from its own books, parsed by the connectors, to the minor unit")
struct SandboxSettlementTests {
    static let hkd = Currency(code: "HKD")!
    static let usd = Currency(code: "USD")!
    static let jpy = Currency(code: "JPY")!

    @Test("a day of AMS and WAP payments and refunds: every file parsed, fees at 1.8 %, FX at the written quote, totals equal the lines")
    func dayOfBusiness() async throws {
        try await Day.run { day in
            try await day.amsPayment("ord_hkd", currency: "HKD", value: 1050, settlement: "HKD")
            try await day.amsPayment("ord_usd", currency: "USD", value: 100, settlement: "HKD")
            try await day.amsPayment("ord_fx", currency: "HKD", value: 2000, settlement: "USD")
            try await day.amsRefund("ref_hkd", of: "ord_hkd", currency: "HKD", value: 500)
            try await day.wapPayment("wap_hkd", "10.50", currency: "HKD")
            try await day.wapRefund("wap_ref", of: "wap_hkd", "4.00", currency: "HKD")
            try await day.wapPayment("wap_jpy", "1050", currency: "JPY")

            let written = try await day.generate()
            let ams = "v1/settlements/\(Fixture.clientID)/\(day.compact)/"
            let wap = "wap/\(WAPFixture.partner)/\(day.compact)/"
            #expect(Set(written.map(\.kind)) == ["transactionItems", "settlementItems", "settlementSummary", "settlebatch", "settle"])
            #expect(written.filter { $0.path.hasPrefix(ams) }.count == 5, "transactions, and items and summary for HKD and USD")
            #expect(written.contains { $0.path == "v1/settlements/\(Fixture.sandboxClientID)/\(day.compact)/transactionItems_\(day.compact)_000.csv" })
            #expect(written.filter { $0.path.hasPrefix(wap) }.count == 3, "the batch file and a settlement file for HKD and JPY")
            for file in written {
                let name = String(file.path.split(separator: "/").last!)
                #expect(SettlementFileName(name) != nil, "\(name)")
                #expect(try day.bytes(file.path).count == file.bytes)
            }

            let transactions = try AMSSettlementReports.transactionItems(day.bytes(ams + "transactionItems_\(day.compact)_000.csv"))
            #expect(transactions.map(\.referenceID).sorted() == ["ord_fx", "ord_hkd", "ord_usd", "ref_hkd"])
            let refund = try #require(transactions.first { $0.referenceID == "ref_hkd" })
            #expect(refund.kind == .refund && refund.status == .succeeded)
            #expect(refund.amount == Money(minorUnits: 500, currency: Self.hkd))
            #expect(refund.originalProviderTransactionID == day.paymentIDs["ord_hkd"])
            #expect(transactions.first { $0.referenceID == "ord_usd" }?.amount == Money(minorUnits: 100, currency: Self.usd))
            #expect(try AMSSettlementReports.transactionItems(
                day.bytes("v1/settlements/\(Fixture.sandboxClientID)/\(day.compact)/transactionItems_\(day.compact)_000.csv")
            ).isEmpty, "a quiet client still gets its (empty) file")

            let (items, batches) = try day.amsSettlement(folder: ams)
            try SettlementTotals.verify(items, against: batches)
            let settled = Dictionary(uniqueKeysWithValues: items.map { ($0.referenceID, $0) })
            // 1.8 % of each line's settlement amount, half away from zero; a refund's fee returned.
            #expect(settled["ord_hkd"]?.settled == Self.amounts(1050, 19, Self.hkd))
            #expect(settled["ref_hkd"]?.settled == Self.amounts(-500, -9, Self.hkd))
            // 1.00 USD at the sandbox's 7.80 HKD: 7.80 HKD, fee 0.14.
            #expect(settled["ord_usd"]?.rate?.text == "7.80000000")
            #expect(settled["ord_usd"]?.settled == Self.amounts(780, 14, Self.hkd))
            // 20.00 HKD at 0.12820513 USD: 2.56 USD (2.5641…), fee 0.05 (0.04608).
            #expect(settled["ord_fx"]?.rate?.text == "0.12820513")
            #expect(settled["ord_fx"]?.settled == Self.amounts(256, 5, Self.usd))
            let hkdBatch = try #require(batches.first { $0.currency == Self.hkd })
            #expect(hkdBatch.net == Money(minorUnits: 1031 + 766 - 491, currency: Self.hkd))
            #expect(hkdBatch.fees == Money(minorUnits: 24, currency: Self.hkd))
            #expect(hkdBatch.counts == [.payment: 2, .refund: 1])
            #expect(batches.first { $0.currency == Self.usd }?.net == Money(minorUnits: 251, currency: Self.usd))

            let (details, wapBatches) = try day.wapSettlement(folder: wap)
            try SettlementTotals.verify(details, against: wapBatches)
            let byReference = Dictionary(uniqueKeysWithValues: details.map { ($0.referenceID, $0) })
            #expect(byReference["wap_hkd"]?.settled == Self.amounts(1050, 19, Self.hkd))
            #expect(byReference["wap_ref"]?.settled == Self.amounts(-400, -7, Self.hkd))
            #expect(byReference["wap_ref"]?.originalReferenceID == "wap_hkd")
            #expect(byReference["wap_ref"]?.providerTransactionID == byReference["wap_hkd"]?.providerTransactionID)
            #expect(byReference["wap_hkd"]?.rate?.text == "0.92307692")
            #expect(byReference["wap_jpy"]?.settled == Self.amounts(1050, 19, Self.jpy))
            #expect(wapBatches.first { $0.currency == Self.hkd }?.net == Money(minorUnits: 638, currency: Self.hkd))

            // The same day again: the same files, byte for byte, and no temporary file left behind.
            let first = try written.map { try day.bytes($0.path) }
            let again = try await day.generate()
            #expect(again.map(\.path) == written.map(\.path))
            #expect(try again.map { try day.bytes($0.path) } == first)
            let everything = try FileManager.default.subpathsOfDirectory(atPath: day.folder)
            #expect(!everything.contains { $0.split(separator: "/").last!.hasPrefix(".") })
        }
    }

    @Test("each injected discrepancy shows in the parsed files: left out, extra, another amount, a refund reported failed")
    func discrepancies() async throws {
        try await Day.run { day in
            try await day.amsPayment("ord_kept", currency: "HKD", value: 1000, settlement: "HKD")
            try await day.amsPayment("ord_left_out", currency: "HKD", value: 2000, settlement: "HKD")
            try await day.amsPayment("ord_changed", currency: "HKD", value: 3000, settlement: "HKD")
            try await day.amsRefund("ref_failed", of: "ord_kept", currency: "HKD", value: 100)
            try await day.wapPayment("wap_paid", "20.00", currency: "HKD")
            try await day.wapRefund("wap_ref_failed", of: "wap_paid", "5.00", currency: "HKD")
            let injected: [[String: Any]] = [
                ["type": "omit", "reference": "ord_left_out"],
                ["type": "extra", "reference": "ghost_ams", "provider": "ams", "customer_id": Fixture.clientID, "date": day.date,
                 "amount": ["currency": "HKD", "value": "777"]],
                ["type": "extra", "reference": "ghost_wap", "provider": "wap", "date": day.date, "amount": ["currency": "HKD", "value": "888"]],
                ["type": "amount", "reference": "ord_changed", "amount": ["value": "2999"]],
                ["type": "refund_failed", "reference": "ref_failed"],
                ["type": "refund_failed", "reference": "wap_ref_failed"],
            ]
            let armed = try await day.post("/sandbox/v1/settlements/discrepancies", ["discrepancies": injected])
            #expect(armed.status == 200)
            #expect((try await day.get("/sandbox/v1/settlements/discrepancies").json["discrepancies"] as? [Any])?.count == 6)
            _ = try await day.generate()
            let ams = "v1/settlements/\(Fixture.clientID)/\(day.compact)/"

            let transactions = try AMSSettlementReports.transactionItems(day.bytes(ams + "transactionItems_\(day.compact)_000.csv"))
            let listed = Dictionary(uniqueKeysWithValues: transactions.map { ($0.referenceID, $0) })
            #expect(listed["ord_left_out"] == nil)
            #expect(listed["ghost_ams"]?.amount == Money(minorUnits: 777, currency: Self.hkd))
            #expect(listed["ord_changed"]?.amount == Money(minorUnits: 2999, currency: Self.hkd))
            #expect(listed["ref_failed"]?.status == .failed)
            #expect(listed["ord_kept"]?.status == .succeeded)

            let (items, batches) = try day.amsSettlement(folder: ams)
            try SettlementTotals.verify(items, against: batches)
            #expect(items.map(\.referenceID).sorted() == ["ghost_ams", "ord_changed", "ord_kept"], "the failed refund is not settled")
            #expect(items.first { $0.referenceID == "ord_changed" }?.settled == Self.amounts(2999, 54, Self.hkd))

            let (details, wapBatches) = try day.wapSettlement(folder: "wap/\(WAPFixture.partner)/\(day.compact)/")
            try SettlementTotals.verify(details, against: wapBatches)
            let byReference = Dictionary(uniqueKeysWithValues: details.map { ($0.referenceID, $0) })
            #expect(byReference["wap_ref_failed"]?.status == .failed)
            #expect(byReference["wap_ref_failed"]?.settled == nil)
            #expect(byReference["ghost_wap"]?.amount == Money(minorUnits: 888, currency: Self.hkd))
            #expect(wapBatches.first?.net == Money(minorUnits: 2000 - 36 + 888 - 16, currency: Self.hkd), "the failed refund is out of the totals")

            // Cleared: the next generation is the books again.
            #expect(try await day.post("/sandbox/v1/settlements/discrepancies", ["discrepancies": [Any]()]).status == 200)
            _ = try await day.generate()
            let clean = try AMSSettlementReports.transactionItems(day.bytes(ams + "transactionItems_\(day.compact)_000.csv"))
            #expect(clean.map(\.referenceID).sorted() == ["ord_changed", "ord_kept", "ord_left_out", "ref_failed"])
            #expect(clean.allSatisfy { $0.status == .succeeded })
        }
    }

    @Test("the helper endpoints refuse bad input naming the field; without a folder there are no files")
    func helperRefusals() async throws {
        try await Day.run { day in
            for (body, field) in [
                (["date": "2026-02-30"], "date"), (["date": 20_260_701], "date"),
            ] as [([String: Any], String)] {
                let answer = try await day.post("/sandbox/v1/settlements/generate", body)
                #expect(answer.status == 400)
                #expect(((answer.json["error"] as? [String: Any])?["message"] as? String)?.hasPrefix(field + ":") == true)
            }
            for (item, field) in [
                (["type": "lose", "reference": "x"], "type"), (["type": "omit"], "reference"),
                (["type": "amount", "reference": "x", "amount": ["value": "-5"]], "amount"),
                (["type": "extra", "reference": "x", "provider": "ams", "amount": ["currency": "HKD", "value": "5"]], "date"),
                (["type": "extra", "reference": "x", "provider": "ams", "date": day.date, "amount": ["currency": "HKD", "value": "5"]], "customer_id"),
                (["type": "extra", "reference": "x", "provider": "paypal", "date": day.date, "amount": ["currency": "HKD", "value": "5"]], "provider"),
            ] as [([String: Any], String)] {
                let list: [[String: Any]] = [["type": "omit", "reference": "ok"], item]
                let answer = try await day.post("/sandbox/v1/settlements/discrepancies", ["discrepancies": list])
                #expect(answer.status == 400, "\(item)")
                #expect(((answer.json["error"] as? [String: Any])?["message"] as? String)?.hasPrefix("discrepancies[1].\(field):") == true, "\(answer.json)")
            }
            #expect((try await day.get("/sandbox/v1/settlements/discrepancies").json["discrepancies"] as? [Any])?.isEmpty == true,
                    "a refused list arms nothing")
        }
        try await SandboxServer.with { server in
            let answer = try await server.post("/sandbox/v1/settlements/generate", headers: [("Content-Type", "application/json")],
                                               body: Array(#"{"date":"2026-07-01"}"#.utf8))
            #expect(answer.status == 409)
            #expect(answer.json?["error"]?["code"] == .string("settlements_off"))
        }
    }

    @Test("at each midnight of the settlement zone the day that ended is written, by the clock the sandbox was given")
    func dailyRun() async throws {
        let clock = ManualClock(now: Date())
        try await Day.run(clock: clock) { day in
            try await day.amsPayment("ord_daily", currency: "HKD", value: 1200, settlement: "HKD")
            let path = "v1/settlements/\(Fixture.clientID)/\(day.compact)/transactionItems_\(day.compact)_000.csv"
            try await clock.waitForSleeper()
            #expect(!FileManager.default.fileExists(atPath: day.folder + "/" + path), "nothing before the day ends")
            clock.advance(to: day.end.addingTimeInterval(1))
            let url = URL(fileURLWithPath: day.folder + "/" + path)
            let bytes = try await withTimeout(seconds: 10, "the day's files") { () async -> [UInt8]? in
                while !Task.isCancelled {
                    if let data = try? Data(contentsOf: url) { return Array(data) }
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return nil
            }
            #expect(try AMSSettlementReports.transactionItems(bytes).map(\.referenceID) == ["ord_daily"])
            try await clock.waitForSleeper()
            #expect(clock.sleeperDeadline == day.end.addingTimeInterval(86_400), "then it waits for the next midnight")
        }
    }

    static func amounts(_ gross: Int64, _ fee: Int64, _ currency: Currency) -> SettledAmounts {
        SettledAmounts(gross: Money(minorUnits: gross, currency: currency), fee: Money(minorUnits: fee, currency: currency))
    }
}

/// A clock the test moves: `sleep(until:)` returns when `advance` passes the deadline.
final class ManualClock: SandboxClock {
    private struct Sleeper {
        let id: UUID
        let deadline: Date
        let continuation: CheckedContinuation<Void, Never>
    }

    private let state: Mutex<(now: Date, sleepers: [Sleeper])>

    init(now: Date) {
        state = Mutex((now, []))
    }

    func now() -> Date { state.withLock { $0.now } }

    var sleeperDeadline: Date? { state.withLock { $0.sleepers.first?.deadline } }

    func sleep(until deadline: Date) async throws {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let due = state.withLock { state -> Bool in
                    guard state.now < deadline, !Task.isCancelled else { return true }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return false
                }
                if due { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state in
                let index = state.sleepers.firstIndex { $0.id == id }
                return index.map { state.sleepers.remove(at: $0) }
            }?.continuation.resume()
        }
        try Task.checkCancellation()
    }

    func advance(to date: Date) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = date
            let due = state.sleepers.filter { $0.deadline <= date }
            state.sleepers.removeAll { $0.deadline <= date }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Until something waits on the clock.
    func waitForSleeper() async throws {
        _ = try await withTimeout(seconds: 10, "the daily run to wait on the clock") { () async -> Bool? in
            while !Task.isCancelled {
                if self.sleeperDeadline != nil { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return nil
        }
    }
}
