import Foundation
import ShroffConnectors
import ShroffCore
import Testing

/// The connectors' settlement file parsers on hand-written samples of the providers' documented
/// examples (Fixtures/settlement/, docs/settlement-formats.md), and on broken copies of them.
@Suite("Settlement files: the providers' documented samples, parsed; malformed files refused naming line and field")
struct SettlementFileTests {
    static let amsTransactions = "settlement/ams/transactionItems_20181225_000.csv"
    static let amsItems = "settlement/ams/settlementItems_KaKaoPay_USD_2018122611021040123_000.csv"
    static let amsSummary = "settlement/ams/settlementSummary_KaKaoPay_USD_2018122611021040123_000.csv"
    static let wapBatches = "settlement/wap/2088101122136241_settlebatch_20170519.csv"
    static let wapDetails = "settlement/wap/2088101122136241_settle_20170519_50002017051900000000000000000000.csv"
    static let wapBatch = "50002017051900000000000000000000"

    static let krw = Currency(code: "KRW")!
    static let usd = Currency(code: "USD")!
    static let hkd = Currency(code: "HKD")!

    @Test("AMS transactionItems: the documented payment of 18000 KRW and refund of -9000 KRW, with the sample's trailing comma")
    func amsTransactionItems() throws {
        let lines = try AMSSettlementReports.transactionItems(Fixture.bytes(Self.amsTransactions))
        #expect(lines.count == 2)
        let payment = lines[0], refund = lines[1]
        #expect(payment.lineNumber == 2)
        #expect(payment.kind == .payment)
        #expect(payment.status == .succeeded)
        #expect(payment.providerTransactionID == "2018122519074101000000000112612")
        #expect(payment.referenceID == "20190326L648423000404")
        #expect(payment.amount == Money(minorUnits: 18000, currency: Self.krw))
        #expect(payment.settled == nil && payment.batchID == nil)
        // 2018-12-25T10:00:00+08:30 is 01:30 UTC.
        #expect(payment.transactionTime == Date(timeIntervalSince1970: 1_545_701_400))
        #expect(refund.kind == .refund)
        #expect(refund.amount == Money(minorUnits: 9000, currency: Self.krw), "the refund's amount, positive")
        #expect(refund.originalProviderTransactionID == payment.providerTransactionID)
    }

    @Test("AMS settlementItems: gross, fee and net in USD, signed; the KRW/USD quote exact; the summary's totals match the lines")
    func amsSettlementItemsAndSummary() throws {
        let lines = try AMSSettlementReports.settlementItems(Fixture.bytes(Self.amsItems))
        #expect(lines.map(\.batchID) == ["2018122611021040123", "2018122611021040123"])
        #expect(lines[0].settled == SettledAmounts(
            gross: Money(minorUnits: 1450, currency: Self.usd), fee: Money(minorUnits: 50, currency: Self.usd)
        ))
        #expect(lines[1].settled == SettledAmounts(
            gross: Money(minorUnits: -725, currency: Self.usd), fee: Money(minorUnits: -25, currency: Self.usd)
        ))
        #expect(lines.map { $0.settled?.net.minorUnits } == [1400, -700])
        #expect(lines[1].amount == Money(minorUnits: 9000, currency: Self.krw))
        let rate = try #require(lines[0].rate)
        #expect(rate.baseCurrency == Self.krw && rate.quoteCurrency == Self.usd)
        #expect(rate.text == "0.00080556" && rate.numerator == 80556 && rate.scale == 8)
        #expect(lines[0].settlementTime == TimestampFormat.parse("2018-12-26T11:02:10+08:00"))

        let batches = try AMSSettlementReports.settlementSummary(Fixture.bytes(Self.amsSummary))
        #expect(batches == [SettlementBatchTotals(
            lineNumber: 4, batchID: "2018122611021040123", currency: Self.usd,
            gross: Money(minorUnits: 725, currency: Self.usd), fees: Money(minorUnits: 25, currency: Self.usd),
            net: Money(minorUnits: 700, currency: Self.usd), counts: [.payment: 1, .refund: 1],
            settlementTime: TimestampFormat.parse("2018-12-26T11:02:10+08:00")
        )])
        try SettlementTotals.verify(lines, against: batches)
    }

    @Test("WAP: the documented batch line with its padded fields; its settlement file adds up to it; a quoted remark")
    func wapBatchAndDetails() throws {
        let batches = try WAPSettlementReports.settlementBatches(Fixture.bytes(Self.wapBatches))
        #expect(batches.count == 1)
        #expect(batches[0].batchID == Self.wapBatch)
        #expect(batches[0].gross == Money(minorUnits: 85240, currency: Self.hkd))
        #expect(batches[0].fees == Money(minorUnits: 852, currency: Self.hkd))
        #expect(batches[0].net == Money(minorUnits: 84388, currency: Self.hkd))
        #expect(batches[0].counts == nil)
        #expect(batches[0].settlementTime == TimestampFormat.parse("2017-05-23T15:36:00+08:00"))

        let lines = try WAPSettlementReports.settlementDetails(Fixture.bytes(Self.wapDetails), batchID: Self.wapBatch)
        #expect(lines.count == 2)
        #expect(lines[0].kind == .payment && lines[0].referenceID == "ord_20170518_0001")
        #expect(lines[0].providerTransactionID == "2017051821001004060213245489")
        #expect(lines[0].amount == Money(minorUnits: 90000, currency: Self.hkd))
        #expect(lines[0].settled?.net == Money(minorUnits: 89100, currency: Self.hkd))
        #expect(lines[0].rate?.text == "0.88000000" && lines[0].rate?.quoteCurrency.code == "CNY")
        #expect(lines[0].transactionTime == TimestampFormat.parse("2017-05-18T10:15:02+08:00"))
        #expect(lines[1].kind == .refund && lines[1].referenceID == "ref_20170518_0001")
        #expect(lines[1].originalReferenceID == "ord_20170517_0007")
        #expect(lines[1].amount == Money(minorUnits: 4760, currency: Self.hkd))
        #expect(lines[1].settled == SettledAmounts(
            gross: Money(minorUnits: -4760, currency: Self.hkd), fee: Money(minorUnits: -48, currency: Self.hkd)
        ))
        #expect(lines[1].settled?.net.minorUnits == -4712, "the file's Settlement column")
        try SettlementTotals.verify(lines, against: batches)

        // A settlement file cut short no longer adds up to its batch.
        let truncated = try WAPSettlementReports.settlementDetails(
            Array(Fixture.text(Self.wapDetails).split(separator: "\n").dropLast().joined(separator: "\n").utf8), batchID: Self.wapBatch
        )
        #expect(throws: SettlementFileError(
            line: 2, field: "gross", problem: "batch \(Self.wapBatch) states 85240 but its lines add up to 90000 minor units"
        )) { try SettlementTotals.verify(truncated, against: batches) }
    }

    @Test("WAP: the Global sample, `|`-separated, with P/L codes and more columns than Shroff reads")
    func wapGlobalSample() throws {
        let text = """
            Partner_transaction_id|Transaction_id|Amount|Rmb_amount|Fee|Settlement|Rmb_settlement|Currency|Rate|Payment_time|Settlement_time|Type|Status|Remarks|Secondary_merchant_industry|Secondary_merchant_name|Operator_name|Order_scene|Trans_currency|Trans_amount|Trans_forex_rate
            EASA-20170801233604653-5GP0GVWNY|2017080221001004060213245489|369.30|2001.38|2.22|367.08|1989.37|AUD|5.41940000|2017-08-02 07:36:46|2017-08-03 15:46:00|P|L||5311|xxx|xxx|shopQrCode|AUD|369.30|1
            """
        let lines = try WAPSettlementReports.settlementDetails(Array(text.utf8), batchID: "B1")
        let aud = Currency(code: "AUD")!
        #expect(lines.count == 1)
        #expect(lines[0].kind == .payment && lines[0].status == .succeeded)
        #expect(lines[0].amount == Money(minorUnits: 36930, currency: aud))
        #expect(lines[0].settled?.fee == Money(minorUnits: 222, currency: aud))
        #expect(lines[0].settled?.net == Money(minorUnits: 36708, currency: aud))
        #expect(lines[0].rate?.numerator == 541_940_000 && lines[0].rate?.scale == 8)
    }

    @Test("file names tell the kinds apart")
    func fileNames() {
        #expect(SettlementFileName("transactionItems_20181225_000.csv") == .amsTransactionItems(date: "20181225", sequence: 0))
        #expect(SettlementFileName("transactionItems_KaKaoPay_KRW_20181225_001.csv") == .amsTransactionItems(date: "20181225", sequence: 1))
        #expect(SettlementFileName("settlementItems_USD_2018122611021040123_000.csv")
            == .amsSettlementItems(currency: "USD", batchID: "2018122611021040123", sequence: 0))
        #expect(SettlementFileName("settlementSummary_KaKaoPay_USD_2018122611021040123_002.csv")
            == .amsSettlementSummary(currency: "USD", batchID: "2018122611021040123", sequence: 2))
        #expect(SettlementFileName("2088101122136241_settlebatch_20170519.csv") == .wapSettlementBatches(partner: "2088101122136241", date: "20170519"))
        #expect(SettlementFileName("2088101122136241_settle_20170519_\(Self.wapBatch).csv")
            == .wapSettlementDetails(partner: "2088101122136241", date: "20170519", batchID: Self.wapBatch))
        for name in ["transactionItems_2018122_000.csv", "settlementItems_usd_1_000.csv", "2088101122136241_settle_20170519.csv",
                     ".transactionItems_20181225_000.csv.1234.tmp", "transactionItems_20181225_000.txt", "2088_settlebatch_20170519.csv"] {
            #expect(SettlementFileName(name) == nil, "\(name)")
        }
    }

    // MARK: Refusals

    struct Broken: Sendable, CustomTestStringConvertible {
        let name: String
        let fixture: String
        let change: @Sendable (String) -> String
        let line: Int
        let field: String
        var testDescription: String { name }
    }

    static let broken: [Broken] = [
        Broken(name: "no <END> (truncated)", fixture: amsTransactions, change: { $0.replacingOccurrences(of: "<END>\n", with: "") }, line: 4, field: "<END>"),
        Broken(name: "<END> before the last line", fixture: amsSummary, change: { $0.replacingOccurrences(of: "1,1400,USD,50,USD\n", with: "1,1400,USD,50,USD\n<END>\n") },
               line: 3, field: "<END>"),
        Broken(name: "a positive refund", fixture: amsTransactions, change: { $0.replacingOccurrences(of: "-9000", with: "9000") }, line: 3, field: "transactionAmountValue"),
        Broken(name: "a decimal point in minor units", fixture: amsTransactions, change: { $0.replacingOccurrences(of: ",18000,", with: ",180.00,") },
               line: 2, field: "transactionAmountValue"),
        Broken(name: "no such currency", fixture: amsTransactions, change: { $0.replacingOccurrences(of: "-9000,KRW", with: "-9000,KRX") }, line: 3, field: "transactionCurrency"),
        Broken(name: "a time without its offset", fixture: amsTransactions, change: { $0.replacingOccurrences(of: "10:00:00+08:30,AGREEMENT_PAYMENT,18000", with: "10:00:00,AGREEMENT_PAYMENT,18000") },
               line: 2, field: "paymentTime"),
        Broken(name: "a field too many", fixture: amsTransactions, change: { $0.replacingOccurrences(of: "-9000,KRW", with: "-9000,KRW,x,") }, line: 3, field: "columns"),
        Broken(name: "a required column missing", fixture: amsTransactions, change: { $0.replacingOccurrences(of: "pspName,transactionType", with: "pspName,kind") },
               line: 1, field: "transactionType"),
        Broken(name: "a type Shroff does not know", fixture: amsItems, change: { $0.replacingOccurrences(of: "KaKaoPay,REFUND", with: "KaKaoPay,DISPUTE") }, line: 3, field: "transactionType"),
        Broken(name: "a quote for other currencies", fixture: amsItems, change: { $0.replacingOccurrences(of: "-725,USD,KRW/USD", with: "-725,USD,KRW/HKD") }, line: 3, field: "quoteCurrencyPair"),
        Broken(name: "a fee in another currency", fixture: amsItems, change: { $0.replacingOccurrences(of: ",50,USD,", with: ",600,KRW,") }, line: 2, field: "feeCurrency"),
        Broken(name: "an unterminated quote", fixture: amsItems, change: { $0.replacingOccurrences(of: ",KaKaoPay,PAYMENT", with: ",\"KaKaoPay,PAYMENT") }, line: 2, field: "pspName"),
        Broken(name: "a TOTAL that is not the sum", fixture: amsSummary, change: { $0.replacingOccurrences(of: "2,700,USD", with: "2,701,USD") }, line: 4, field: "settlementAmountValue"),
        Broken(name: "no TOTAL", fixture: amsSummary, change: { $0.replacingOccurrences(of: "TOTAL", with: "CANCEL") }, line: 4, field: "summaryType"),
        Broken(name: "a WAP batch whose Settlement is not Amount - Fee", fixture: wapBatches, change: { $0.replacingOccurrences(of: "843.88", with: "843.89") }, line: 2, field: "Settlement"),
        Broken(name: "a WAP line whose Settlement is not -Amount - Fee", fixture: wapDetails, change: { $0.replacingOccurrences(of: "-47.12", with: "-47.60") }, line: 3, field: "Settlement"),
        Broken(name: "a WAP amount with too many decimals", fixture: wapDetails, change: { $0.replacingOccurrences(of: "900.00,792.00", with: "900.001,792.00") }, line: 2, field: "Amount"),
        Broken(name: "a WAP status Shroff does not know", fixture: wapDetails, change: { $0.replacingOccurrences(of: "REFUND,SETTLED", with: "REFUND,PENDING") }, line: 3, field: "Status"),
        Broken(name: "a WAP time in another format", fixture: wapDetails, change: { $0.replacingOccurrences(of: "2017-05-18 10:15:02", with: "05/18/2017 10:15") }, line: 2, field: "Payment_time"),
        Broken(name: "a control character in a field", fixture: wapDetails, change: { $0.replacingOccurrences(of: "ord_20170518_0001", with: "ord_2017\u{1B}0518") }, line: 2, field: "Partner_transaction_id"),
    ]

    @Test("a malformed file is refused whole, naming the line and the field", arguments: broken)
    func refused(_ broken: Broken) throws {
        let bytes = Array(broken.change(try Fixture.text(broken.fixture)).utf8)
        #expect(bytes != (try Fixture.bytes(broken.fixture)), "the change applies")
        do {
            _ = try parse(bytes, as: broken.fixture)
            Issue.record("accepted")
        } catch {
            #expect(error.line == broken.line, "\(error)")
            #expect(error.field == broken.field, "\(error)")
        }
    }

    @Test("bounds: the file's size, a line's length; bytes that are not UTF-8")
    func bounds() throws {
        let header = try Fixture.text(Self.amsTransactions).split(separator: "\n")[0]
        let long = header + "\n" + String(repeating: "1", count: 9000) + "\n<END>\n"
        #expect(throws: SettlementFileError(line: 2, field: "line", problem: "longer than 8192 bytes")) {
            try AMSSettlementReports.transactionItems(Array(long.utf8))
        }
        #expect(throws: SettlementFileError(line: 0, field: "file", problem: "larger than 67108864 bytes")) {
            try AMSSettlementReports.transactionItems([UInt8](repeating: UInt8(ascii: "\n"), count: (64 << 20) + 1))
        }
        var bytes = try Fixture.bytes(Self.amsTransactions)
        bytes[bytes.firstIndex(of: UInt8(ascii: "K"))!] = 0xFF
        #expect(throws: SettlementFileError(line: 2, field: "paymentMethodType", problem: "not UTF-8 text without control characters")) {
            try AMSSettlementReports.transactionItems(bytes)
        }
        #expect(throws: SettlementFileError(line: 1, field: "<END>", problem: "missing: the file is truncated")) {
            try AMSSettlementReports.settlementSummary([])
        }
    }

    private func parse(_ bytes: [UInt8], as fixture: String) throws(SettlementFileError) -> Int {
        switch fixture {
        case Self.amsTransactions: try AMSSettlementReports.transactionItems(bytes).count
        case Self.amsItems: try AMSSettlementReports.settlementItems(bytes).count
        case Self.amsSummary: try AMSSettlementReports.settlementSummary(bytes).count
        case Self.wapBatches: try WAPSettlementReports.settlementBatches(bytes).count
        default: try WAPSettlementReports.settlementDetails(bytes, batchID: Self.wapBatch).count
        }
    }
}
