import Foundation
import Testing
@testable import ShroffCore

/// Settlement matching, one case a line: the provider's line against our record.
@Suite("SettlementMatching")
struct SettlementMatchingTests {
    static let hkd = Currency(code: "HKD")!
    static let noon = Date(timeIntervalSince1970: 1_764_734_400) // 2025-12-03 12:00 +08:00
    static let day = DateInterval(start: noon.addingTimeInterval(-12 * 3600), duration: 86_400)

    static func line(
        _ kind: SettlementTransactionKind, _ reference: String, _ minor: Int64, currency: String = "HKD",
        status: SettlementTransactionStatus = .succeeded
    ) -> SettlementLine {
        SettlementLine(
            lineNumber: 2, batchID: nil, providerTransactionID: "P-" + reference, originalProviderTransactionID: nil, referenceID: reference,
            originalReferenceID: nil, kind: kind, status: status, amount: Money(minorUnits: minor, currency: Currency(code: currency)!),
            settled: nil, rate: nil, transactionTime: noon, settlementTime: nil
        )
    }

    static func record(
        _ kind: SettlementTransactionKind, _ reference: String, _ minor: Int64, status: String = "SUCCEEDED", succeeded: Bool = true,
        time: Date? = noon
    ) -> SettlementRecord {
        SettlementRecord(
            kind: kind, reference: reference, merchantUID: 12_009_321, provider: .ams, status: status, succeeded: succeeded,
            amount: Money(minorUnits: minor, currency: hkd), time: time
        )
    }

    static func outcome(_ lines: [SettlementLine], _ records: [SettlementRecord], day: DateInterval? = day) -> [SettlementMatchKind] {
        SettlementMatching.match(lines: lines, records: records, day: day).map(\.kind)
    }

    @Test("a payment line and our succeeded payment of the same amount → matched")
    func paymentMatched() { #expect(Self.outcome([Self.line(.payment, "C1", 1000)], [Self.record(.payment, "C1", 1000)]) == [.matched]) }

    @Test("a refund line and our succeeded refund → matched")
    func refundMatched() { #expect(Self.outcome([Self.line(.refund, "R1", 300)], [Self.record(.refund, "R1", 300)]) == [.matched]) }

    @Test("our succeeded payment of the day absent from the provider's list → missing_at_provider")
    func paymentMissing() { #expect(Self.outcome([], [Self.record(.payment, "C1", 1000)]) == [.missingAtProvider]) }

    @Test("our succeeded refund of the day absent from the provider's list → missing_at_provider")
    func refundMissing() { #expect(Self.outcome([], [Self.record(.refund, "R1", 300)]) == [.missingAtProvider]) }

    @Test("a record of another day is not missing from this day's list")
    func otherDayNotMissing() {
        #expect(Self.outcome([], [Self.record(.payment, "C1", 1000, time: Self.noon.addingTimeInterval(86_400))]).isEmpty)
    }

    @Test("a record that did not succeed is not missing")
    func notSucceededNotMissing() {
        #expect(Self.outcome([], [Self.record(.payment, "C1", 1000, status: "CANCELLED", succeeded: false)]).isEmpty)
    }

    @Test("without a day (a file that is not the day's list) nothing is missing")
    func noDayNothingMissing() { #expect(Self.outcome([], [Self.record(.payment, "C1", 1000)], day: nil).isEmpty) }

    @Test("a line with no record of ours → unknown_to_us")
    func unknown() { #expect(Self.outcome([Self.line(.payment, "X1", 1000)], []) == [.unknownToUs]) }

    @Test("a refund line naming a payment of ours (not a refund) → unknown_to_us")
    func refundLineOfAPayment() {
        #expect(Self.outcome([Self.line(.refund, "C1", 1000)], [Self.record(.payment, "C1", 1000, time: nil)]) == [.unknownToUs])
    }

    @Test("another amount → amount_mismatch")
    func amountDiffers() { #expect(Self.outcome([Self.line(.payment, "C1", 999)], [Self.record(.payment, "C1", 1000)]) == [.amountMismatch]) }

    @Test("another currency, same minor units → amount_mismatch")
    func currencyDiffers() {
        #expect(Self.outcome([Self.line(.payment, "C1", 1000, currency: "USD")], [Self.record(.payment, "C1", 1000)]) == [.amountMismatch])
    }

    @Test("a refund reported failed that we think succeeded → status_mismatch")
    func refundReportedFailed() {
        #expect(Self.outcome([Self.line(.refund, "R1", 300, status: .failed)], [Self.record(.refund, "R1", 300)]) == [.statusMismatch])
    }

    @Test("a refund reported succeeded that we think failed → status_mismatch")
    func refundWeThinkFailed() {
        let ours = Self.record(.refund, "R1", 300, status: "FAILED", succeeded: false, time: nil)
        #expect(Self.outcome([Self.line(.refund, "R1", 300)], [ours]) == [.statusMismatch])
    }

    @Test("a refund reported failed that failed with us too → matched")
    func bothFailed() {
        let ours = Self.record(.refund, "R1", 300, status: "FAILED", succeeded: false, time: nil)
        #expect(Self.outcome([Self.line(.refund, "R1", 300, status: .failed)], [ours]) == [.matched])
    }

    @Test("a payment reported that is still PENDING with us → status_mismatch")
    func paymentWeThinkPending() {
        let ours = Self.record(.payment, "C1", 1000, status: "PENDING", succeeded: false, time: nil)
        #expect(Self.outcome([Self.line(.payment, "C1", 1000)], [ours]) == [.statusMismatch])
    }

    @Test("a status that differs is reported rather than an amount that differs too")
    func statusBeforeAmount() {
        #expect(Self.outcome([Self.line(.refund, "R1", 1, status: .failed)], [Self.record(.refund, "R1", 300)]) == [.statusMismatch])
    }

    @Test("a cancel line of an intent we cancelled → matched")
    func cancelMatched() {
        let ours = Self.record(.payment, "C1", 1000, status: "CANCELLED", succeeded: false, time: nil)
        #expect(Self.outcome([Self.line(.cancel, "C1", 1000)], [ours]) == [.matched])
    }

    @Test("a cancel line of a payment we count as paid → status_mismatch")
    func cancelOfPaid() {
        #expect(Self.outcome([Self.line(.payment, "C1", 1000), Self.line(.cancel, "C1", 1000)], [Self.record(.payment, "C1", 1000)])
            == [.matched, .statusMismatch])
    }

    @Test("the same line twice (two files) is one outcome")
    func duplicateLines() {
        #expect(Self.outcome([Self.line(.payment, "C1", 1000), Self.line(.payment, "C1", 1000)], [Self.record(.payment, "C1", 1000)]) == [.matched])
    }

    @Test("expected and reported say status and amount for the operator")
    func texts() {
        let match = SettlementMatching.match(lines: [Self.line(.refund, "R1", 300, status: .failed)], records: [Self.record(.refund, "R1", 300)], day: nil)
        #expect(match.first?.expected == "SUCCEEDED 3 HKD")
        #expect(match.first?.reported == "FAILED 3 HKD")
    }

    @Test("mobile_web goes to the WAP gateway's files, every other flow to AMS's")
    func providerOfAFlow() {
        #expect(SettlementProvider(PaymentMethodSpec(channel: .alipayhk, flow: .mobileWeb, wallet: "ALIPAYHK")) == .wap)
        #expect(SettlementProvider(PaymentMethodSpec(channel: .alipayhk, flow: .csbQRCode, wallet: "ALIPAYHK")) == .ams)
        #expect(SettlementProvider(PaymentMethodSpec(channel: .aplus, flow: .cashier, wallet: "CONNECT_WALLET")) == .ams)
    }
}
