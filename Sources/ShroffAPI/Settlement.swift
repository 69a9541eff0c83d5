/// What the provider's settlement files said of a payment or refund (the document's `Settlement`
/// schema): its id at the provider and, once settled, the batch and the amounts in the settlement
/// currency, signed as they move the merchant's balance (a refund's amounts negative).
public struct Settlement: Sendable, Equatable, Codable {
    public let providerTransactionID: String
    public let batchID: String?
    /// Decimal strings in major units of `settlementCurrency`: gross, the provider's fee, net (gross - fee).
    public let settlementAmount: String?
    public let fee: String?
    public let netAmount: String?
    public let settlementCurrency: String?
    /// `YYYY-MM-DD`: the day of the files that said it.
    public let settlementDate: String

    public init(
        providerTransactionID: String, batchID: String?, settlementAmount: String?, fee: String?, netAmount: String?,
        settlementCurrency: String?, settlementDate: String
    ) {
        self.providerTransactionID = providerTransactionID
        self.batchID = batchID
        self.settlementAmount = settlementAmount
        self.fee = fee
        self.netAmount = netAmount
        self.settlementCurrency = settlementCurrency
        self.settlementDate = settlementDate
    }

    enum CodingKeys: String, CodingKey {
        case fee
        case providerTransactionID = "provider_transaction_id"
        case batchID = "batch_id"
        case settlementAmount = "settlement_amount"
        case netAmount = "net_amount"
        case settlementCurrency = "settlement_currency"
        case settlementDate = "settlement_date"
    }
}

/// The merchant's part of one provider settlement batch (the document's `SettlementBatch` schema):
/// its payments and refunds in the batch, with their gross, fees and net in the batch's currency.
public struct SettlementBatch: Sendable, Equatable, Codable {
    public let batchID: String
    /// `ams` (Alipay+) or `wap` (the AlipayHK WAP gateway).
    public let provider: String
    public let settlementDate: String
    public let currency: String
    public let count: Int
    public let grossAmount: String
    public let feeAmount: String
    public let netAmount: String

    public init(
        batchID: String, provider: String, settlementDate: String, currency: String, count: Int, grossAmount: String, feeAmount: String,
        netAmount: String
    ) {
        self.batchID = batchID
        self.provider = provider
        self.settlementDate = settlementDate
        self.currency = currency
        self.count = count
        self.grossAmount = grossAmount
        self.feeAmount = feeAmount
        self.netAmount = netAmount
    }

    enum CodingKeys: String, CodingKey {
        case provider, currency, count
        case batchID = "batch_id"
        case settlementDate = "settlement_date"
        case grossAmount = "gross_amount"
        case feeAmount = "fee_amount"
        case netAmount = "net_amount"
    }
}

/// `pa/settlements/list`'s answer (the document's `SettlementPage` schema).
public struct SettlementPage: Sendable, Equatable, Codable {
    public let batches: [SettlementBatch]
    public let hasMore: Bool
    /// Pass as `cursor` for the next page; set when `hasMore`.
    public let nextCursor: String?

    public init(batches: [SettlementBatch], hasMore: Bool, nextCursor: String?) {
        self.batches = batches
        self.hasMore = hasMore
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case batches
        case hasMore = "has_more"
        case nextCursor = "next_cursor"
    }
}
