import Foundation

/// The sandbox's book of payments, with the idempotency rules of seed 002.
actor SandboxLedger {
    struct PayRequest: Sendable {
        let paymentRequestID: String
        let clientID: String
        let productCode: String
        let currency: String
        let value: Int64
        let wallet: String
        let presentmentMode: String?
        let notifyURL: String?
        let redirectURL: String?
        let expiresAt: Date?
        let settlementCurrency: String?
        let merchantName: String?
        let orderDescription: String?
    }

    enum PayOutcome: Sendable, Equatable {
        /// New, or the same unpaid payment asked again.
        case awaitingShopper(SandboxPayment)
        /// Asked again after it was paid: success without action forms.
        case alreadyPaid(SandboxPayment)
        case failed(code: String, message: String)
        case unknown(code: String, message: String)
    }

    enum CompletionError: Error, Equatable {
        case notFound
        case notProcessing(SandboxPayment.Status)
        /// The merchant named a wallet (seed 001's ALIPAYCN, say): no other wallet may pay.
        case walletNotOffered(requested: String)
    }

    private var payments: [String: SandboxPayment] = [:]
    private var refunds: [String: SandboxRefund] = [:]
    private var refundRequestIDByRefundID: [String: String] = [:]
    private var requestIDByPaymentID: [String: String] = [:]
    private var payCalls: [String: Int] = [:]
    private var sequence = 0

    /// Minimum amounts of seed 002 as (currency, minor units).
    static let walletMinimums: [String: (String, Int64)] = [
        "TRUEMONEY": ("THB", 100), "ALIPAY_HK": ("HKD", 10), "TNG": ("MYR", 10), "GCASH": ("PHP", 100),
        "DANA": ("IDR", 30_000), "BKASH": ("BDT", 1), "EASYPAISA": ("PKR", 10_000), "KAKAOPAY": ("KRW", 50),
    ]

    func pay(_ request: PayRequest, now: Date) -> PayOutcome {
        payCalls[request.paymentRequestID, default: 0] += 1
        if var existing = payments[request.paymentRequestID] {
            expireIfDue(&existing, now: now)
            guard existing.value == request.value, existing.currency == request.currency else {
                return .failed(code: "REPEAT_REQ_INCONSISTENT", message: "Repeated requests are inconsistent.")
            }
            switch existing.status {
            case .processing: return .awaitingShopper(existing)
            case .success: return .alreadyPaid(existing)
            case .fail, .cancelled: return .failed(code: "PROCESS_FAIL", message: "A general business failure occurred. Do not retry.")
            }
        }
        switch MagicAmount(minorUnits: request.value) {
        case .unknownResult:
            return .unknown(code: "UNKNOWN_EXCEPTION", message: "An API calling is failed, which is caused by unknown reasons.")
        case .riskRejected:
            record(request, status: .fail, resultCode: "RISK_REJECT", now: now)
            return .failed(code: "RISK_REJECT", message: "The request is rejected because of the risk control.")
        case .none, .declined, .silentSuccess, .postRedirect, .barcodeOnly:
            break
        }
        if let (currency, minimum) = Self.walletMinimums[request.wallet] {
            // The minimum is in the wallet's currency; an order in another currency is converted at
            // the sandbox's quote, and one it has no quote for is refused.
            switch SandboxQuotes.isBelow(value: request.value, currency: request.currency, minimum: minimum, minimumCurrency: currency) {
            case nil:
                return .failed(code: "CURRENCY_NOT_SUPPORT", message: "The currency is not supported.")
            case true?:
                return .failed(code: "PAYMENT_AMOUNT_EXCEED_LIMIT", message: "The payment amount is under the wallet's minimum.")
            case false?:
                break
            }
        }
        return .awaitingShopper(record(request, status: .processing, resultCode: nil, now: now))
    }

    @discardableResult
    private func record(_ request: PayRequest, status: SandboxPayment.Status, resultCode: String?, now: Date) -> SandboxPayment {
        sequence += 1
        let millis = Int64(now.timeIntervalSince1970 * 1000)
        let payment = SandboxPayment(
            paymentRequestID: request.paymentRequestID, paymentID: "2026\(millis)\(WallClockTime.pad(sequence % 1_000_000, 6))",
            clientID: request.clientID, productCode: request.productCode, currency: request.currency, value: request.value,
            requestedWallet: request.wallet, presentmentMode: request.presentmentMode, notifyURL: request.notifyURL,
            redirectURL: request.redirectURL, expiresAt: request.expiresAt, settlementCurrency: request.settlementCurrency,
            merchantName: request.merchantName, orderDescription: request.orderDescription,
            createTime: now, status: status, resultCode: resultCode, paymentTime: nil, walletUsed: nil
        )
        payments[request.paymentRequestID] = payment
        requestIDByPaymentID[payment.paymentID] = request.paymentRequestID
        return payment
    }

    func payment(requestID: String?, paymentID: String?, now: Date) -> SandboxPayment? {
        guard let key = requestID ?? paymentID.flatMap({ requestIDByPaymentID[$0] }), var payment = payments[key] else { return nil }
        if expireIfDue(&payment, now: now) { payments[key] = payment }
        return payment
    }

    /// Every payment this sandbox has seen, oldest first (the provider's side of a reconciliation).
    func allPayments(now: Date) -> [SandboxPayment] {
        payments.keys.compactMap { payment(requestID: $0, paymentID: nil, now: now) }
            .sorted { ($0.createTime, $0.paymentID) < ($1.createTime, $1.paymentID) }
    }

    /// How many pay calls were made with this paymentRequestId (a test aid: retries must reuse it).
    func payCallCount(requestID: String) -> Int { payCalls[requestID] ?? 0 }

    /// Drives a PROCESSING payment to a final state, as the hosted page's buttons do.
    func complete(requestID: String, outcome: Outcome, wallet: String?, now: Date) -> Result<SandboxPayment, CompletionError> {
        guard var payment = payments[requestID] else { return .failure(.notFound) }
        expireIfDue(&payment, now: now)
        guard payment.status == .processing else {
            payments[requestID] = payment
            return .failure(.notProcessing(payment.status))
        }
        if let wallet, payment.requestedWallet != "CONNECT_WALLET", wallet != payment.requestedWallet {
            return .failure(.walletNotOffered(requested: payment.requestedWallet))
        }
        switch outcome {
        case .success where MagicAmount(minorUnits: payment.value) == .declined:
            payment.status = .fail
            payment.resultCode = "USER_BALANCE_NOT_ENOUGH"
        case .success:
            payment.status = .success
            payment.resultCode = "SUCCESS"
            payment.paymentTime = now
            payment.walletUsed = wallet ?? (payment.requestedWallet == "CONNECT_WALLET" ? "ALIPAY_HK" : payment.requestedWallet)
        case .fail:
            payment.status = .fail
            payment.resultCode = "PROCESS_FAIL"
        case .cancel:
            payment.status = .cancelled
            payment.resultCode = "ORDER_IS_CANCELED"
        }
        payments[requestID] = payment
        return .success(payment)
    }

    enum Outcome: String, Sendable {
        case success, fail, cancel
    }

    // MARK: Cancel

    enum CancelOutcome: Sendable, Equatable {
        case cancelled(SandboxPayment)
        case failed(code: String, message: String)
    }

    /// Full cancel of an unpaid payment; cancelling a cancelled or failed one answers success again.
    func cancel(requestID: String?, paymentID: String?, now: Date) -> CancelOutcome {
        guard let key = requestID ?? paymentID.flatMap({ requestIDByPaymentID[$0] }), var payment = payments[key] else {
            return .failed(code: "ORDER_NOT_EXIST", message: "The order does not exist.")
        }
        expireIfDue(&payment, now: now)
        switch payment.status {
        case .success:
            return .failed(code: "ORDER_STATUS_INVALID", message: "The payment has succeeded; refund it instead.")
        case .processing:
            payment.status = .cancelled
            payment.resultCode = "ORDER_IS_CANCELED"
            payments[key] = payment
            return .cancelled(payment)
        case .cancelled, .fail:
            return .cancelled(payment)
        }
    }

    // MARK: Refunds

    struct RefundRequest: Sendable {
        let refundRequestID: String
        let paymentRequestID: String?
        let paymentID: String?
        let currency: String
        let value: Int64
        let notifyURL: String?
    }

    enum RefundOutcome: Sendable, Equatable {
        case succeeded(SandboxRefund)
        case processing(SandboxRefund)
        case failed(code: String, message: String)
        case unknown
    }

    /// Refunds are accepted within this long after the payment.
    static let refundWindow: TimeInterval = 365 * 24 * 3600

    func refund(_ request: RefundRequest, now: Date) -> RefundOutcome {
        if let existing = refunds[request.refundRequestID] {
            guard existing.value == request.value, existing.currency == request.currency else {
                return .failed(code: "REPEAT_REQ_INCONSISTENT", message: "Repeated requests are inconsistent.")
            }
            return existing.status == .processing ? .processing(existing) : .succeeded(existing)
        }
        let magic = MagicRefundAmount(minorUnits: request.value)
        if magic == .unknownResult { return .unknown }
        guard let key = request.paymentRequestID ?? request.paymentID.flatMap({ requestIDByPaymentID[$0] }),
              let payment = payments[key] else {
            return .failed(code: "ORDER_NOT_EXIST", message: "The order does not exist.")
        }
        guard payment.status == .success, let paidAt = payment.paymentTime else {
            return .failed(code: "ORDER_STATUS_INVALID", message: "Only a successful payment can be refunded.")
        }
        guard request.currency == payment.currency else {
            return .failed(code: "CURRENCY_NOT_SUPPORT", message: "The refund currency differs from the payment's.")
        }
        guard now.timeIntervalSince(paidAt) <= Self.refundWindow else {
            return .failed(code: "REFUND_WINDOW_EXCEED", message: "The refund window has passed.")
        }
        if let wallet = payment.walletUsed, let (currency, minimum) = Self.walletMinimums[wallet],
           SandboxQuotes.isBelow(value: request.value, currency: request.currency, minimum: minimum, minimumCurrency: currency) == true {
            return .failed(code: "PROCESS_FAIL", message: "The refund amount is under the wallet's minimum refund amount.")
        }
        let committed = refunds.values.filter { $0.paymentRequestID == key && $0.status != .fail }.reduce(Int64(0)) { $0 + $1.value }
        guard committed + request.value <= payment.value else {
            return .failed(code: "REFUND_AMOUNT_EXCEED", message: "The total refund amount exceeds the payment amount.")
        }
        sequence += 1
        var refund = SandboxRefund(
            refundRequestID: request.refundRequestID,
            refundID: "2026R\(Int64(now.timeIntervalSince1970 * 1000))\(WallClockTime.pad(sequence % 1_000_000, 6))",
            paymentRequestID: key, currency: request.currency, value: request.value, notifyURL: request.notifyURL,
            createTime: now, status: .processing, refundTime: nil
        )
        if magic == .none {
            refund.status = .success
            refund.refundTime = now
        }
        refunds[refund.refundRequestID] = refund
        refundRequestIDByRefundID[refund.refundID] = refund.refundRequestID
        return refund.status == .success ? .succeeded(refund) : .processing(refund)
    }

    func refund(requestID: String?, refundID: String?) -> SandboxRefund? {
        guard let key = requestID ?? refundID.flatMap({ refundRequestIDByRefundID[$0] }) else { return nil }
        return refunds[key]
    }

    /// Every refund, oldest first (the day's settlement files take the successful ones).
    func allRefunds() -> [SandboxRefund] {
        refunds.values.sorted { ($0.createTime, $0.refundID) < ($1.createTime, $1.refundID) }
    }

    func refunds(ofPayment requestID: String) -> [SandboxRefund] {
        refunds.values.filter { $0.paymentRequestID == requestID }.sorted { $0.createTime < $1.createTime }
    }

    /// Completes a PROCESSING refund.
    func completeRefund(requestID: String, success: Bool, now: Date) -> SandboxRefund? {
        guard var refund = refunds[requestID], refund.status == .processing else { return nil }
        refund.status = success ? .success : .fail
        refund.refundTime = now
        refunds[requestID] = refund
        return refund
    }

    /// A payment not completed by paymentExpiryTime can no longer succeed (seed 002).
    @discardableResult
    private func expireIfDue(_ payment: inout SandboxPayment, now: Date) -> Bool {
        guard payment.status == .processing, let expiresAt = payment.expiresAt, now >= expiresAt else { return false }
        payment.status = .cancelled
        payment.resultCode = "ORDER_IS_CLOSED"
        payments[payment.paymentRequestID] = payment
        return true
    }
}
