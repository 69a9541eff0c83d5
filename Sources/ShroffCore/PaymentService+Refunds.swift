import Foundation
import Logging

extension PaymentService {
    /// Creates a refund of a SUCCEEDED intent and starts it downstream. Idempotent on
    /// merchant_refund_id; the refundable amount is never exceeded, even by racing requests.
    public func createRefund(_ request: CreateRefundRequest, merchant: Merchant, logger: Logger) async throws -> Refund {
        let intent = try await find(merchantUID: merchant.uid, orderID: request.orderID, merchantOrderID: request.merchantOrderID)
        if intent.status == .cancelled {
            // A CANCELLED intent never succeeds later, so this check cannot race; a payment made after
            // the cancel is refunded by the gateway itself, never twice by the merchant.
            let automatic = intent.latePaymentTime == nil ? "" : "; the payment made after the cancel is refunded automatically"
            throw GatewayError(.invalidState, "status: only SUCCEEDED intents can be refunded; this one is CANCELLED\(automatic)")
        }
        let amount = try request.amount(in: intent.amount.currency)
        if let wallet = intent.walletUsed, let minimum = CreateIntentRequest.walletMinimums[wallet],
           minimum.currency == amount.currency.code, amount.minorUnits < minimum.minorUnits {
            let floor = Money(minorUnits: minimum.minorUnits, currency: amount.currency)
            throw GatewayError(.rejected, "amount: \(wallet) refunds at least \(floor.decimalString) \(amount.currency.code)")
        }
        let time = now()
        let candidate = Refund(
            refundID: Identifier.refund(at: time), merchantUID: merchant.uid, orderID: intent.orderID,
            merchantRefundID: request.merchantRefundID, amount: amount, reason: request.reason, createTime: time,
            requestFingerprint: request.fingerprint(orderID: intent.orderID, amount: amount),
            firstCheckAt: time.addingTimeInterval(reconciliation.first.timeInterval)
        )
        let refund: Refund
        switch try await refunds.insertRefund(candidate) {
        case .inserted(let inserted):
            refund = inserted
            logger.info("refund created", metadata: ["refund_id": "\(refund.refundID)", "order_id": "\(refund.orderID)"])
        case .existing(let existing):
            guard existing.requestFingerprint == candidate.requestFingerprint else {
                throw GatewayError(.duplicateRequest, "merchant_refund_id: \(existing.merchantRefundID) was already used with different parameters")
            }
            guard existing.status == .processing, existing.providerRefundID == nil else { return existing }
            refund = existing
        case .notRefundable(let status):
            throw GatewayError(.invalidState, "status: only SUCCEEDED intents can be refunded; this one is \(status.rawValue)")
        case .exceedsRefundable(let remaining):
            let left = Money(minorUnits: remaining, currency: amount.currency)
            throw GatewayError(.rejected, "amount: exceeds the refundable amount; \(left.decimalString) \(amount.currency.code) can still be refunded")
        }
        return try await startRefundOnce(refund, intent: intent, logger: logger)
    }

    /// Refunds in full, automatically, a payment made after its intent was cancelled: an ordinary
    /// refund with a fixed `merchant_refund_id` (`auto:<order_id>`), so repeating this is harmless, and
    /// the refund is retried and reconciled like any other. Never throws: what fails is logged, and
    /// the intent's backup check (or the refund's own checks) does it again.
    func refundLatePayment(_ intent: PaymentIntent, logger: Logger) async {
        let time = now()
        let merchantRefundID = intent.latePaymentRefundID
        let reason = "PAID_AFTER_CANCEL"
        let candidate = Refund(
            refundID: Identifier.refund(at: time), merchantUID: intent.merchantUID, orderID: intent.orderID,
            merchantRefundID: merchantRefundID, amount: intent.amount, reason: reason, createTime: time,
            requestFingerprint: CreateIntentRequest.hash([intent.orderID, merchantRefundID, intent.amount.currency.code, String(intent.amount.minorUnits), reason]),
            firstCheckAt: time.addingTimeInterval(reconciliation.first.timeInterval)
        )
        var logger = logger
        logger[metadataKey: "order_id"] = "\(intent.orderID)"
        do {
            let refund: Refund
            switch try await refunds.insertRefund(candidate) {
            case .inserted(let inserted):
                refund = inserted
                logger.info("automatic refund of a payment after cancel created", metadata: ["refund_id": "\(refund.refundID)"])
            case .existing(let existing):
                refund = existing
            case .notRefundable(let status):
                logger.error("automatic refund refused: the intent holds no money", metadata: ["status": "\(status.rawValue)"])
                return
            case .exceedsRefundable(let remaining):
                logger.error("automatic refund refused: it exceeds the refundable amount", metadata: ["remaining_minor": "\(remaining)"])
                return
            }
            guard refund.status == .processing, refund.providerRefundID == nil else { return }
            _ = try await startRefundOnce(refund, intent: intent, logger: logger)
        } catch {
            logger.warning("automatic refund not completed yet; it will be retried", metadata: ["error": "\(error)"])
        }
    }

    /// Sends the refund downstream unless a call for it is already in flight on this node (then its
    /// answer is shared) or it has been answered meanwhile: a reconciliation resend never races the
    /// create's own call with the same request id.
    func startRefundOnce(_ refund: Refund, intent: PaymentIntent, logger: Logger) async throws -> Refund {
        try await refundStarts.run(refund.refundID) {
            if let current = try await refunds.refund(refundID: refund.refundID), current.status != .processing || current.providerRefundID != nil {
                return current
            }
            return try await startRefundDownstream(refund, intent: intent, logger: logger)
        }
    }

    func startRefundDownstream(_ refund: Refund, intent: PaymentIntent, logger: Logger) async throws -> Refund {
        let start: ProviderRefundStart
        do {
            start = try await provider.startRefund(ProviderRefundRequest(refund: refund, intent: intent))
        } catch let unavailable as ProviderUnavailable {
            logger.warning("provider unavailable on refund", metadata: ["refund_id": "\(refund.refundID)", "reason": "\(unavailable.reason)"])
            throw GatewayError(
                .providerUnavailable,
                "the wallet provider did not answer; the refund is PROCESSING and will be completed, or retry with the same merchant_refund_id",
                retryAfterSeconds: 5
            )
        } catch let fault as ProviderIntegrationFault {
            throw integrationFault(fault, merchantUID: refund.merchantUID, orderID: refund.orderID, refundID: refund.refundID, logger: logger)
        }
        switch start {
        case .succeeded(let time, let providerRefundID):
            return try await applyRefund(.providerSucceeded(time: time, providerRefundID: providerRefundID), to: refund.refundID, logger: logger)
        case .processing(let providerRefundID):
            return try await applyRefund(.providerAccepted(providerRefundID: providerRefundID), to: refund.refundID, logger: logger)
        case .rejected(let code, let message):
            _ = try await applyRefund(.providerFailed(code: code, time: now()), to: refund.refundID, logger: logger)
            throw GatewayError(.rejected, "amount: the wallet provider rejected the refund: \(code) (\(message))", providerCode: code)
        }
    }

    /// Applies a provider event to a refund through its state machine, with its webhook.
    @discardableResult
    public func applyRefund(_ event: RefundEvent, to refundID: String, logger: Logger) async throws -> Refund {
        let timestamps = self.timestamps
        let now = self.now
        let outcome = try await refunds.transitionRefund(
            refundID: refundID,
            decide: { RefundStateMachine.transition($0, on: event) },
            makeEvent: { refund, intent, kind in WebhookPayload.event(kind, for: refund, of: intent, at: now(), timestamps: timestamps) }
        )
        switch outcome {
        case .applied(let refund, _, let webhook):
            logger.info("refund changed", metadata: [
                "refund_id": "\(refundID)", "status": "\(refund.status.rawValue)", "webhook_id": "\(webhook?.id ?? "-")",
            ])
            return refund
        case .unchanged(let refund, .conflict(let reason)):
            logger.error("provider contradicts a final refund state; operator attention needed", metadata: [
                "refund_id": "\(refundID)", "reason": "\(reason)",
            ])
            alert(RaisedAlert(
                .refundConflict, merchantUID: refund.merchantUID, orderID: refund.orderID, refundID: refundID,
                detail: "provider contradicts refund \(refund.status.rawValue): \(reason)", time: now()
            ))
            return refund
        case .unchanged(let refund, _):
            return refund
        case .notFound:
            throw GatewayError(.notFound, "refund_id: no such refund")
        }
    }

    /// Finds a merchant's refund by `refund_id` or `merchant_refund_id`.
    public func findRefund(merchantUID: Int64, refundID: String?, merchantRefundID: String?) async throws -> Refund {
        let refund: Refund?
        if let refundID {
            refund = try await refunds.refund(merchantUID: merchantUID, refundID: refundID)
            if let refund, let merchantRefundID, refund.merchantRefundID != merchantRefundID {
                throw GatewayError.invalidParameter("merchant_refund_id", "does not belong to refund_id \(refundID)")
            }
        } else if let merchantRefundID {
            refund = try await refunds.refund(merchantUID: merchantUID, merchantRefundID: merchantRefundID)
        } else {
            throw GatewayError.invalidParameter("refund_id", "refund_id or merchant_refund_id is required")
        }
        guard let refund else { throw GatewayError(.notFound, "refund_id: no such refund") }
        return refund
    }
}
