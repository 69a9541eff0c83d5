import Foundation

/// Whose daily files: Alipay+ AMS (every flow but `mobile_web`) or the AlipayHK WAP gateway
/// (`mobile_web`), as `ProviderRouter` sends the payments.
public enum SettlementProvider: String, Sendable, Hashable, CaseIterable {
    case ams, wap

    public init(_ method: PaymentMethodSpec) {
        self = method.flow == .mobileWeb ? .wap : .ams
    }
}

/// One of our payments or refunds, as reconciliation compares it with a provider's line.
public struct SettlementRecord: Sendable, Equatable {
    /// `.payment` for an intent, `.refund` for a refund.
    public let kind: SettlementTransactionKind
    /// Ours, as the provider's files name it: the intent's `order_id` (AMS `paymentRequestId`, WAP
    /// `out_trade_no`) or the refund's `refund_id` (`refundRequestId`, `out_return_no`).
    public let reference: String
    public let merchantUID: Int64
    public let provider: SettlementProvider
    /// Our status as stored (`SUCCEEDED`, `CANCELLED`, `PROCESSING`, …).
    public let status: String
    /// Whether we hold the money moved: a SUCCEEDED payment or refund (and a payment that landed
    /// after its intent was cancelled, which the provider did take).
    public let succeeded: Bool
    public let amount: Money
    /// When it succeeded (the provider's payment or refund time), if it did.
    public let time: Date?

    public init(
        kind: SettlementTransactionKind, reference: String, merchantUID: Int64, provider: SettlementProvider, status: String,
        succeeded: Bool, amount: Money, time: Date?
    ) {
        self.kind = kind
        self.reference = reference
        self.merchantUID = merchantUID
        self.provider = provider
        self.status = status
        self.succeeded = succeeded
        self.amount = amount
        self.time = time
    }

    public init(intent: PaymentIntent) {
        self.init(
            kind: .payment, reference: intent.orderID, merchantUID: intent.merchantUID, provider: SettlementProvider(intent.method),
            status: intent.status.rawValue, succeeded: intent.holdsMoney, amount: intent.amount,
            time: intent.payTime ?? intent.latePaymentTime
        )
    }

    public init(refund: Refund, provider: SettlementProvider) {
        self.init(
            kind: .refund, reference: refund.refundID, merchantUID: refund.merchantUID, provider: provider, status: refund.status.rawValue,
            succeeded: refund.status == .succeeded, amount: refund.amount, time: refund.status == .succeeded ? refund.finishTime : nil
        )
    }
}

/// What reconciliation found for one transaction.
public enum SettlementMatchKind: String, Sendable, Hashable, CaseIterable {
    /// The provider's line and our record agree.
    case matched
    /// We recorded a succeeded payment or refund on the day; the provider's list of the day lacks it.
    case missingAtProvider = "missing_at_provider"
    /// The provider has a line we have no record of.
    case unknownToUs = "unknown_to_us"
    /// The amount or the currency differs.
    case amountMismatch = "amount_mismatch"
    /// The provider reports another outcome than ours (a refund failed that we think succeeded).
    case statusMismatch = "status_mismatch"
}

/// One transaction's outcome: the provider's line (nil when missing) against our record (nil when unknown).
public struct SettlementMatch: Sendable, Equatable {
    public let kind: SettlementMatchKind
    public let transactionKind: SettlementTransactionKind
    public let reference: String
    public let line: SettlementLine?
    public let record: SettlementRecord?

    /// What we have, as the operator reads it (`SUCCEEDED 10.5 HKD`); nil when unknown to us.
    public var expected: String? { record.map { "\($0.status) \($0.amount)" } }
    /// What the provider reports (`FAILED 10.5 HKD`); nil when missing at the provider.
    public var reported: String? { line.map { "\($0.status == .succeeded ? "SUCCEEDED" : "FAILED") \($0.amount)" } }
}

/// Matches a provider's settlement lines against our records. Pure.
public enum SettlementMatching {
    /// One outcome per distinct line (the first of lines naming the same kind and reference), then
    /// one `missingAtProvider` per record expected on `day` that no line names. With `day` nil (a
    /// file that is not the provider's complete list of a day) nothing is missing.
    ///
    /// A payment line matches our intent, a refund line our refund, a cancel line an intent the
    /// provider reversed (one we do not count as paid); a line of the other kind or of no record is
    /// unknown to us. A status that differs is reported before an amount that differs.
    public static func match(lines: [SettlementLine], records: [SettlementRecord], day: DateInterval?) -> [SettlementMatch] {
        var byReference: [RecordKey: SettlementRecord] = [:]
        for record in records where byReference[RecordKey(record.kind, record.reference)] == nil {
            byReference[RecordKey(record.kind, record.reference)] = record
        }
        var seen: Set<RecordKey> = []
        var named: Set<RecordKey> = []
        var matches: [SettlementMatch] = []
        for line in lines where seen.insert(RecordKey(line.kind, line.referenceID)).inserted {
            let recordKind: SettlementTransactionKind = line.kind == .refund ? .refund : .payment
            let key = RecordKey(recordKind, line.referenceID)
            named.insert(key)
            guard let record = byReference[key] else {
                matches.append(SettlementMatch(kind: .unknownToUs, transactionKind: line.kind, reference: line.referenceID, line: line, record: nil))
                continue
            }
            matches.append(SettlementMatch(
                kind: outcome(of: line, against: record), transactionKind: line.kind, reference: line.referenceID, line: line, record: record
            ))
        }
        guard let day else { return matches }
        for record in records where record.succeeded && !named.contains(RecordKey(record.kind, record.reference)) {
            guard let time = record.time, time >= day.start, time < day.end,
                  named.insert(RecordKey(record.kind, record.reference)).inserted else { continue }
            matches.append(SettlementMatch(kind: .missingAtProvider, transactionKind: record.kind, reference: record.reference, line: nil, record: record))
        }
        return matches
    }

    static func outcome(of line: SettlementLine, against record: SettlementRecord) -> SettlementMatchKind {
        // A cancel line says the provider reversed the payment: it agrees with an intent we do not count as paid.
        let providerSucceeded = line.kind == .cancel ? line.status == .failed : line.status == .succeeded
        guard providerSucceeded == record.succeeded else { return .statusMismatch }
        return line.amount == record.amount ? .matched : .amountMismatch
    }

    struct RecordKey: Hashable {
        let kind: SettlementTransactionKind
        let reference: String

        init(_ kind: SettlementTransactionKind, _ reference: String) {
            self.kind = kind
            self.reference = reference
        }
    }
}

/// A settlement day as the API, the command line and the consoles take it.
public enum SettlementDate {
    /// Whether `text` is a real day written `YYYY-MM-DD`.
    public static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.map(\.count) == [4, 2, 2],
              parts.allSatisfy({ $0.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return false }
        return DateComponents(calendar: Calendar(identifier: .gregorian), year: year, month: month, day: day).isValidDate
    }
}
