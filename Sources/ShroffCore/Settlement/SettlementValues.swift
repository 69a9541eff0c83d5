import Foundation

/// The providers' settlement files as values (docs/settlement-formats.md): what the parsers in
/// `ShroffConnectors/Settlement/` read every file kind into, and what reconciliation
/// (`SettlementMatching`) and the stores work on. Pure values, no I/O.

/// What a settlement file line records.
public enum SettlementTransactionKind: String, Sendable, Hashable, CaseIterable {
    case payment, refund, cancel
}

/// Whether the provider reports the transaction as done. Only a line reported `failed` is not
/// settled (a refund the provider could not complete).
public enum SettlementTransactionStatus: String, Sendable, Hashable {
    case succeeded, failed
}

/// An exchange rate exactly as the provider wrote it: `numerator / 10^scale` units of
/// `quoteCurrency` for one unit of `baseCurrency` (major units). Never a binary float.
public struct SettlementRate: Sendable, Equatable {
    public let baseCurrency: Currency
    public let quoteCurrency: Currency
    /// The decimal text as written (`7.84239700`).
    public let text: String
    public let numerator: Int64
    public let scale: Int

    public init(baseCurrency: Currency, quoteCurrency: Currency, text: String, numerator: Int64, scale: Int) {
        self.baseCurrency = baseCurrency
        self.quoteCurrency = quoteCurrency
        self.text = text
        self.numerator = numerator
        self.scale = scale
    }
}

/// A settled line's amounts in the settlement currency, signed as they move the merchant's
/// balance: a payment's gross is positive and its fee is positive (taken); a refund's gross is
/// negative and its fee negative (returned). `net == gross - fee`, always.
public struct SettledAmounts: Sendable, Equatable {
    public let gross: Money
    public let fee: Money
    public let net: Money

    /// `fee` in `gross`'s currency; both at most 15 digits, as the parsers read them.
    public init(gross: Money, fee: Money) {
        self.gross = gross
        self.fee = fee
        net = Money(minorUnits: gross.minorUnits - fee.minorUnits, currency: gross.currency)
    }
}

/// One transaction of a provider's file, in the same terms for every file kind.
public struct SettlementLine: Sendable, Equatable {
    public let lineNumber: Int
    /// The settlement batch (period) the line was settled in; nil in a transaction file.
    public let batchID: String?
    /// The provider's id: AMS `paymentId` / `refundId`; WAP `trade_no`.
    public let providerTransactionID: String
    /// For a refund or cancel, the provider's id of the payment, when the file says.
    public let originalProviderTransactionID: String?
    /// Ours: AMS `paymentRequestId` / `refundRequestId`; WAP `out_trade_no` / `out_return_no`.
    public let referenceID: String
    /// For a refund, our id of the payment (WAP `Original_partner_transaction_ID`), when the file says.
    public let originalReferenceID: String?
    public let kind: SettlementTransactionKind
    public let status: SettlementTransactionStatus
    /// The payment's or refund's amount in its own currency, positive: the direction is `kind`.
    public let amount: Money
    /// Nil in a transaction file (AMS `transactionItems`), which carries no settlement.
    public let settled: SettledAmounts?
    /// The rate from `amount`'s currency the provider converted at, when it wrote one.
    public let rate: SettlementRate?
    public let transactionTime: Date
    public let settlementTime: Date?

    public init(
        lineNumber: Int, batchID: String?, providerTransactionID: String, originalProviderTransactionID: String?, referenceID: String,
        originalReferenceID: String?, kind: SettlementTransactionKind, status: SettlementTransactionStatus, amount: Money,
        settled: SettledAmounts?, rate: SettlementRate?, transactionTime: Date, settlementTime: Date?
    ) {
        self.lineNumber = lineNumber
        self.batchID = batchID
        self.providerTransactionID = providerTransactionID
        self.originalProviderTransactionID = originalProviderTransactionID
        self.referenceID = referenceID
        self.originalReferenceID = originalReferenceID
        self.kind = kind
        self.status = status
        self.amount = amount
        self.settled = settled
        self.rate = rate
        self.transactionTime = transactionTime
        self.settlementTime = settlementTime
    }
}

/// One settlement batch's totals as a summary file states them, in the settlement currency.
public struct SettlementBatchTotals: Sendable, Equatable {
    public let lineNumber: Int
    public let batchID: String
    public let currency: Currency
    public let gross: Money
    public let fees: Money
    public let net: Money
    /// Lines of each kind, when the file states them (AMS); nil when it does not (WAP).
    public let counts: [SettlementTransactionKind: Int]?
    public let settlementTime: Date?

    public init(
        lineNumber: Int, batchID: String, currency: Currency, gross: Money, fees: Money, net: Money,
        counts: [SettlementTransactionKind: Int]?, settlementTime: Date?
    ) {
        self.lineNumber = lineNumber
        self.batchID = batchID
        self.currency = currency
        self.gross = gross
        self.fees = fees
        self.net = net
        self.counts = counts
        self.settlementTime = settlementTime
    }
}

