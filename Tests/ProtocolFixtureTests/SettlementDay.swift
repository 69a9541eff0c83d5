import AsyncHTTPClient
import Foundation
import NIOHTTP1
import ShroffConnectors
import ShroffCore
import ShroffSandbox
import Testing

/// One test's settlement day: the real sandbox (AMS and WAP) writing its settlement files into a
/// fresh folder, in a zone whose noon is now, so that the test's payments never straddle midnight.
/// Payments and refunds go through the sandbox's own signed AMS calls and WAP pages and calls.
final class Day {
    let server: SandboxServer
    let wap: WAPServer
    let folder: String
    /// `YYYY-MM-DD` and `yyyyMMdd`.
    let date: String
    let compact: String
    /// The day's midnight, when the daily run writes its files.
    let end: Date
    private(set) var paymentIDs: [String: String] = [:]

    private init(server: SandboxServer, wap: WAPServer, folder: String, utcOffsetSeconds: Int) {
        self.server = server
        self.wap = wap
        self.folder = folder
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: utcOffsetSeconds)!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        date = String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
        compact = date.replacingOccurrences(of: "-", with: "")
        end = calendar.date(byAdding: .day, value: 1, to: calendar.date(from: parts)!)!
    }

    static func run(clock: any SandboxClock = SystemSandboxClock(), _ body: (Day) async throws -> Void) async throws {
        let secondOfDay = Int(Date().timeIntervalSince1970) % 86_400
        let offset = (12 * 3600 - secondOfDay) / 60 * 60
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shroff-settlement-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        let result: Result<Void, any Error>
        do {
            try await SandboxServer.with(
                settlement: SandboxSettlementConfiguration(folder: folder, utcOffsetSeconds: offset, clock: clock),
                wapPartners: [WAPFixture.partner: SandboxWAPPartner(md5Key: try WAPFixture.md5Key())]
            ) { server in
                let wap = WAPServer(baseURL: server.baseURL, receiver: WAPServer.Receiver(answers: []), gateway: try #require(server.wap), client: client)
                try await body(Day(server: server, wap: wap, folder: folder, utcOffsetSeconds: offset))
            }
            result = .success(())
        } catch {
            result = .failure(error)
        }
        try? await client.shutdown()
        try result.get()
    }

    // MARK: The sandbox's own paths

    /// A cashier payment the shopper pays.
    func amsPayment(_ requestID: String, currency: String, value: Int64, settlement: String) async throws {
        let amount = #"{"currency":"\#(currency)","value":"\#(value)"}"#
        let body = #"{"productCode":"CASHIER_PAYMENT","paymentRequestId":"\#(requestID)","order":{"referenceOrderId":"\#(requestID)","orderDescription":"Settlement, \"day\"","orderAmount":\#(amount),"merchant":{"referenceMerchantId":"42","merchantMCC":"5999","merchantName":"Test shop"},"env":{"terminalType":"WEB"}},"paymentAmount":\#(amount),"paymentMethod":{"paymentMethodType":"ALIPAY_HK"},"paymentFactor":{"presentmentMode":"UNIFIED"},"paymentRedirectUrl":"https://shop.example.com/return","paymentNotifyUrl":"\#(server.notifyURL)","paymentExpiryTime":"2099-07-02T12:15:00.000+08:00","settlementStrategy":{"settlementCurrency":"\#(settlement)"}}"#
        let answer = try await server.signedPost("/ams/api/v1/payments/pay", body: Array(body.utf8))
        #expect(answer.result.code == "PAYMENT_IN_PROCESS", "\(String(decoding: answer.body, as: UTF8.self))")
        paymentIDs[requestID] = try #require(answer.json?["paymentId"]?.stringValue)
        #expect(try await server.simulate(paymentRequestID: requestID, outcome: "success").status == 200)
    }

    func amsRefund(_ refundRequestID: String, of paymentRequestID: String, currency: String, value: Int64) async throws {
        let body = #"{"refundRequestId":"\#(refundRequestID)","paymentRequestId":"\#(paymentRequestID)","refundAmount":{"currency":"\#(currency)","value":"\#(value)"},"refundReason":"test"}"#
        let answer = try await server.signedPost("/ams/api/v1/payments/refund", body: Array(body.utf8))
        #expect(answer.result.status == "S", "\(String(decoding: answer.body, as: UTF8.self))")
    }

    /// A `create_forex_trade_wap` trade the shopper pays on the wallet page.
    func wapPayment(_ outTradeNo: String, _ totalFee: String, currency: String) async throws {
        #expect(try await wap.get(wap.createParameters(outTradeNo: outTradeNo, totalFee: totalFee, currency: currency, signType: "MD5")).status == 200)
        #expect(try await wap.press("pay", outTradeNo: outTradeNo).status == 303)
    }

    func wapRefund(_ outReturnNo: String, of outTradeNo: String, _ amount: String, currency: String) async throws {
        let answer = try await wap.call("forex_refund", [
            "out_return_no": outReturnNo, "out_trade_no": outTradeNo, "return_amount": amount, "currency": currency,
            "gmt_return": "20240702120500", "product_code": "NEW_WAP_OVERSEAS_SELLER",
        ], signType: "MD5")
        #expect(answer.xml("is_success") == "T", "\(answer.text)")
    }

    // MARK: The helper endpoints and the files

    struct Written {
        let path: String
        let kind: String
        let bytes: Int
    }

    /// `POST /sandbox/v1/settlements/generate` for this day.
    func generate() async throws -> [Written] {
        let answer = try await post("/sandbox/v1/settlements/generate", ["date": date])
        #expect(answer.status == 200, "\(answer.text)")
        #expect(answer.json["date"] as? String == date)
        return try (try #require(answer.json["files"] as? [[String: Any]])).map { file in
            Written(path: try #require(file["path"] as? String), kind: try #require(file["kind"] as? String), bytes: try #require(file["bytes"] as? Int))
        }
    }

    func post(_ path: String, _ body: [String: Any]) async throws -> WAPServer.Answer {
        let json = try JSONSerialization.data(withJSONObject: body)
        return try await wap.send(.POST, path, contentType: "application/json", body: String(decoding: json, as: UTF8.self))
    }

    func get(_ path: String) async throws -> WAPServer.Answer { try await wap.send(.GET, path) }

    func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + path)))
    }

    private func names(in relativeFolder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder + "/" + relativeFolder).sorted()
    }

    /// Every settlementItems and settlementSummary file of an AMS day folder, parsed.
    func amsSettlement(folder relativeFolder: String) throws -> (lines: [SettlementLine], batches: [SettlementBatchTotals]) {
        var lines: [SettlementLine] = []
        var batches: [SettlementBatchTotals] = []
        for name in try names(in: relativeFolder) {
            switch SettlementFileName(name) {
            case .amsSettlementItems?: lines += try AMSSettlementReports.settlementItems(bytes(relativeFolder + name))
            case .amsSettlementSummary?: batches += try AMSSettlementReports.settlementSummary(bytes(relativeFolder + name))
            default: break
            }
        }
        return (lines, batches)
    }

    /// The batch file and every settlement file of a WAP day folder, parsed.
    func wapSettlement(folder relativeFolder: String) throws -> (lines: [SettlementLine], batches: [SettlementBatchTotals]) {
        var lines: [SettlementLine] = []
        var batches: [SettlementBatchTotals] = []
        for name in try names(in: relativeFolder) {
            switch SettlementFileName(name) {
            case .wapSettlementBatches?: batches += try WAPSettlementReports.settlementBatches(bytes(relativeFolder + name))
            case .wapSettlementDetails(_, _, let batch)?: lines += try WAPSettlementReports.settlementDetails(bytes(relativeFolder + name), batchID: batch)
            default: break
            }
        }
        return (lines, batches)
    }
}
