import Foundation
import Logging

/// One exchange with a wallet provider, as a payment's timeline shows it: a call the gateway made
/// (operation, outcome, latency, the provider's result code) or a notification it received
/// (verified or refused, and why). Never key material or a signature.
public struct ProviderActivity: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case call
        case notification
    }

    /// The intent concerned; nil for a refused notification, whose order id cannot be trusted.
    public let orderID: String?
    public let time: Date
    public let kind: Kind
    /// `alipayplus_ams`, `alipayhk_wap`.
    public let provider: String
    /// A call's operation (`pay`, `inquiry_payment`, `cancel`, `refund`, `inquiry_refund`) or a
    /// notification's type.
    public let operation: String
    /// A call: `awaiting_shopper`, `succeeded`, `processing`, `cancelled`, `not_found`, `rejected`,
    /// `failed`, `unavailable`, `integration_fault`, `error`. A notification: `applied`, `in_progress`,
    /// `refused`, `unknown_payment`.
    public let outcome: String
    public let latencyMilliseconds: Int64?
    public let resultCode: String?
    /// Why, in words (a refusal's reason, an unavailability's cause).
    public let detail: String?

    public init(
        orderID: String?, time: Date, kind: Kind, provider: String, operation: String, outcome: String,
        latencyMilliseconds: Int64? = nil, resultCode: String? = nil, detail: String? = nil
    ) {
        self.orderID = orderID.map { String($0.prefix(64)) }
        self.time = time
        self.kind = kind
        self.provider = provider
        self.operation = String(operation.prefix(64))
        self.outcome = outcome
        self.latencyMilliseconds = latencyMilliseconds
        self.resultCode = resultCode.map { String($0.prefix(64)) }
        self.detail = detail.map { String($0.prefix(256)) }
    }
}

/// Where provider activity is kept: a bounded table (the newest rows only), shared by the nodes.
public protocol ProviderActivityLog: Sendable {
    func record(_ activity: ProviderActivity) async throws
    /// An intent's activity, oldest first.
    func providerActivity(orderID: String, limit: Int) async throws -> [ProviderActivity]
    /// The newest refused notifications, newest first (the operator's view of forged or broken ones).
    func refusedNotifications(limit: Int) async throws -> [ProviderActivity]
}

extension ProviderActivityLog {
    /// Records without ever failing the caller: the activity log must not stop a payment.
    public func note(_ activity: ProviderActivity, logger: Logger? = nil) async {
        do {
            try await record(activity)
        } catch {
            logger?.warning("provider activity not recorded", metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
    }
}

/// Records every call to a provider connector in the activity log (each retry is a call of its own).
public struct RecordedProvider: PaymentProvider {
    let wrapped: any PaymentProvider
    let name: String
    let log: any ProviderActivityLog

    public init(wrapping wrapped: any PaymentProvider, name: String, log: any ProviderActivityLog) {
        self.wrapped = wrapped
        self.name = name
        self.log = log
    }

    public func startPayment(_ request: ProviderPaymentRequest) async throws -> ProviderPaymentStart {
        try await recorded("pay", request.intent.orderID, { try await wrapped.startPayment(request) }) { answer in
            switch answer {
            case .awaitingShopper: ("awaiting_shopper", nil)
            case .succeeded: ("succeeded", nil)
            case .rejected(let code, _): ("rejected", code)
            }
        }
    }

    public func inquirePayment(_ intent: PaymentIntent) async throws -> ProviderPaymentState {
        try await recorded("inquiry_payment", intent.orderID, { try await wrapped.inquirePayment(intent) }) { answer in
            switch answer {
            case .processing: ("processing", nil)
            case .succeeded: ("succeeded", nil)
            case .failed(let code): ("failed", code)
            case .notFound: ("not_found", nil)
            }
        }
    }

    public func cancelPayment(_ intent: PaymentIntent) async throws -> ProviderCancelResult {
        try await recorded("cancel", intent.orderID, { try await wrapped.cancelPayment(intent) }) { answer in
            switch answer {
            case .cancelled: ("cancelled", nil)
            case .alreadyPaid: ("already_paid", nil)
            case .notFound: ("not_found", nil)
            }
        }
    }

    public func startRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundStart {
        try await recorded("refund", request.intent.orderID, { try await wrapped.startRefund(request) }) { answer in
            switch answer {
            case .succeeded: ("succeeded", nil)
            case .processing: ("processing", nil)
            case .rejected(let code, _): ("rejected", code)
            }
        }
    }

    public func inquireRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundState {
        try await recorded("inquiry_refund", request.intent.orderID, { try await wrapped.inquireRefund(request) }) { answer in
            switch answer {
            case .processing: ("processing", nil)
            case .succeeded: ("succeeded", nil)
            case .failed(let code): ("failed", code)
            case .notFound: ("not_found", nil)
            }
        }
    }

    private func recorded<T>(
        _ operation: String, _ orderID: String, _ call: () async throws -> T, describe: (T) -> (String, String?)
    ) async throws -> T {
        let time = Date()
        let started = ContinuousClock.now
        func note(_ outcome: String, code: String?, detail: String?) async {
            let elapsed = ContinuousClock.now - started
            let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            await log.note(ProviderActivity(
                orderID: orderID, time: time, kind: .call, provider: name, operation: operation, outcome: outcome,
                latencyMilliseconds: milliseconds, resultCode: code, detail: detail
            ))
        }
        do {
            let answer = try await call()
            let (outcome, code) = describe(answer)
            await note(outcome, code: code, detail: nil)
            return answer
        } catch let error as ProviderUnavailable {
            await note("unavailable", code: nil, detail: error.reason)
            throw error
        } catch let error as ProviderIntegrationFault {
            await note("integration_fault", code: error.code, detail: nil)
            throw error
        } catch {
            await note("error", code: nil, detail: nil)
            throw error
        }
    }
}
