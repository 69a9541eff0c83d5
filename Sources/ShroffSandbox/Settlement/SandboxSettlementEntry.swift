import Foundation

/// One successful payment or refund as the provider's books hold it for the day's files.
struct SandboxSettlementEntry: Sendable, Equatable {
    enum Owner: Sendable, Hashable {
        /// An AMS client (`customerId` in the files).
        case ams(customerID: String)
        /// A WAP partner.
        case wap(partner: String)
    }

    enum Kind: String, Sendable {
        case payment = "PAYMENT"
        case refund = "REFUND"
    }

    let owner: Owner
    let kind: Kind
    /// AMS `paymentId` / `refundId`; WAP `trade_no` (the gateway gives refunds no id of their own).
    let providerID: String
    /// A refund's payment: AMS `paymentId`.
    let originalProviderID: String?
    /// The merchant's id: `paymentRequestId` / `refundRequestId` or `out_trade_no` / `out_return_no`.
    let reference: String
    /// A refund's payment: `paymentRequestId` or `out_trade_no`.
    let originalReference: String?
    var currency: String
    /// Minor units, positive.
    var value: Int64
    let settlementCurrency: String
    let time: Date
    let wallet: String
    let productCode: String
    /// A refund the files report as failed (a discrepancy injected for tests): never settled.
    var reportedFailed = false
}

/// A difference between the sandbox's books and its files, injected so that tests can see the
/// gateway's reconciliation find it. Each names the transaction by the merchant's id.
enum SandboxSettlementDiscrepancy: Sendable, Equatable {
    /// The transaction is left out of every file.
    case omit(reference: String)
    /// A payment nobody made appears in `owner`'s files of `day`.
    case extra(reference: String, owner: SandboxSettlementEntry.Owner, day: SandboxSettlementDay, currency: String, value: Int64)
    /// The transaction is reported with this amount (and currency, when given) instead of its own.
    case amount(reference: String, currency: String?, value: Int64)
    /// The refund is reported as failed: status FAIL / FAILED, and not settled.
    case refundFailed(reference: String)

    /// Applies `discrepancies` to `entries`, the books of `day`; an extra payment is made at its noon.
    static func apply(
        _ discrepancies: [Self], to entries: [SandboxSettlementEntry], day: SandboxSettlementDay, utcOffsetSeconds: Int
    ) -> [SandboxSettlementEntry] {
        var result = entries
        for discrepancy in discrepancies {
            switch discrepancy {
            case .omit(let reference):
                result.removeAll { $0.reference == reference }
            case .amount(let reference, let currency, let value):
                for index in result.indices where result[index].reference == reference {
                    result[index].value = value
                    if let currency { result[index].currency = currency }
                }
            case .refundFailed(let reference):
                for index in result.indices where result[index].reference == reference && result[index].kind == .refund {
                    result[index].reportedFailed = true
                }
            case .extra(let reference, let owner, let extraDay, let currency, let value) where extraDay == day:
                result.append(SandboxSettlementEntry(
                    owner: owner, kind: .payment, providerID: SandboxSettlementMath.digits(of: reference, count: 28),
                    originalProviderID: nil, reference: reference, originalReference: nil, currency: currency, value: value,
                    settlementCurrency: currency, time: day.start(utcOffsetSeconds: utcOffsetSeconds).addingTimeInterval(12 * 3600),
                    wallet: "ALIPAY_HK", productCode: "CASHIER_PAYMENT"
                ))
            case .extra:
                break
            }
        }
        return result
    }
}
