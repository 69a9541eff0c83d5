import Foundation

/// A refund in the sandbox's book.
public struct SandboxRefund: Sendable, Equatable {
    public enum Status: String, Sendable {
        case processing = "PROCESSING"
        case success = "SUCCESS"
        case fail = "FAIL"
    }

    public let refundRequestID: String
    public let refundID: String
    public let paymentRequestID: String
    public let currency: String
    public let value: Int64
    public let notifyURL: String?
    public let createTime: Date
    public var status: Status
    public var refundTime: Date?
}

/// Magic refund amounts, by the last two digits of the refund amount in minor units.
enum MagicRefundAmount: Equatable {
    case none
    /// `…61`: accepted (PROCESSING), then fails: notifyRefund with FAIL.
    case failsLater
    /// `…62`: accepted (PROCESSING) and never completed unless `refunds/simulate` completes it.
    case staysProcessing
    /// `…63`: the refund call answers U / UNKNOWN_EXCEPTION and records nothing.
    case unknownResult

    init(minorUnits: Int64) {
        switch minorUnits % 100 {
        case 61: self = .failsLater
        case 62: self = .staysProcessing
        case 63: self = .unknownResult
        default: self = .none
        }
    }
}
