import Foundation
import Logging

extension PaymentService {
    /// One round of reconciliation: asks the provider about PENDING intents and PROCESSING refunds
    /// whose result is late, cancels intents past their expiry, and watches CANCELLED intents a
    /// WAP URL may still be paid for (`watchForLatePayment`). Safe on several nodes at once:
    /// each item is leased to one of them, and every change goes through the state machines.
    /// Returns how many items were looked at.
    @discardableResult
    public func reconcileDue(limit: Int = 32, logger: Logger) async throws -> Int {
        let intents = try await providerChecks.claimDueIntentChecks(now: now(), limit: limit, lease: reconciliation.lease)
        for due in intents {
            await reconcile(due, logger: logger)
        }
        let dueRefunds = try await providerChecks.claimDueRefundChecks(now: now(), limit: limit, lease: reconciliation.lease)
        for due in dueRefunds {
            await reconcile(due, logger: logger)
        }
        return intents.count + dueRefunds.count
    }

    func reconcile(_ due: DueCheck<PaymentIntent>, logger: Logger) async {
        let intent = due.item
        var logger = logger
        logger[metadataKey: "order_id"] = "\(intent.orderID)"
        let checks = due.checks + 1
        if intent.status == .cancelled {
            await watchForLatePayment(intent, checks: checks, logger: logger)
            return
        }
        var next = now().addingTimeInterval(reconciliation.wait(afterChecks: checks).timeInterval)
        do {
            if now() >= intent.expiresAt {
                logger.info("payment intent expired; cancelling downstream")
                let result = try await cancelDownstream(intent, reason: "EXPIRED", logger: logger)
                if result.status != .pending { return }
            } else {
                switch try await provider.inquirePayment(intent) {
                case .succeeded(let payTime, let wallet, let settleCurrency):
                    logger.info("reconciliation found the payment paid")
                    _ = try await apply(.providerSucceeded(payTime: payTime, wallet: wallet, settleCurrency: settleCurrency), to: intent.orderID, logger: logger)
                    return
                case .failed(let code):
                    logger.info("reconciliation found the payment failed", metadata: ["code": "\(code)"])
                    _ = try await apply(.providerFailed(code: code), to: intent.orderID, logger: logger)
                    return
                case .processing, .notFound:
                    // Never later than the expiry, so expiry is on time.
                    next = min(next, intent.expiresAt)
                }
            }
        } catch {
            logger.info("reconciliation could not reach the provider; will retry", metadata: ["error": "\(error)"])
        }
        try? await providerChecks.scheduleIntentCheck(orderID: intent.orderID, at: next, checks: checks)
    }

    /// A check of a CANCELLED intent: refunds a payment recorded after the cancel (again, if the node
    /// that recorded it died first), or asks the provider whether a WAP URL issued before the cancel
    /// opened a trade that was paid, until that URL's window (plus `tradeLinkMargin`) has passed.
    func watchForLatePayment(_ intent: PaymentIntent, checks: Int, logger: Logger) async {
        var next = now().addingTimeInterval(reconciliation.wait(afterChecks: checks).timeInterval)
        do {
            if intent.latePaymentTime != nil {
                await refundLatePayment(intent, logger: logger)
                try await providerChecks.stopIntentChecks(orderID: intent.orderID)
                return
            }
            let watchEnd = (intent.tradeLinkClosesAt ?? now()).addingTimeInterval(tradeLinkMargin.timeInterval)
            switch try await provider.inquirePayment(intent) {
            case .succeeded(let payTime, let wallet, let settleCurrency):
                logger.info("reconciliation found a payment made after the cancel")
                // Recording it schedules the backup check that ends the watch once the refund exists.
                _ = try await apply(.providerSucceeded(payTime: payTime, wallet: wallet, settleCurrency: settleCurrency), to: intent.orderID, logger: logger)
                return
            case .failed:
                // The trade is closed: the URL shows that closed trade again and can never be paid.
                try await providerChecks.stopIntentChecks(orderID: intent.orderID)
                return
            case .processing, .notFound:
                if now() >= watchEnd {
                    logger.info("watch of a cancelled intent ended; no payment arrived")
                    try await providerChecks.stopIntentChecks(orderID: intent.orderID)
                    return
                }
                next = min(next, watchEnd)
            }
        } catch {
            logger.info("reconciliation could not reach the provider; will retry", metadata: ["error": "\(error)"])
        }
        try? await providerChecks.scheduleIntentCheck(orderID: intent.orderID, at: next, checks: checks)
    }

    func reconcile(_ due: DueCheck<Refund>, logger: Logger) async {
        let refund = due.item
        var logger = logger
        logger[metadataKey: "refund_id"] = "\(refund.refundID)"
        let checks = due.checks + 1
        do {
            guard let intent = try await intents.intent(orderID: refund.orderID) else { return }
            let request = ProviderRefundRequest(refund: refund, intent: intent)
            switch try await provider.inquireRefund(request) {
            case .succeeded(let time, let providerRefundID):
                _ = try await applyRefund(.providerSucceeded(time: time, providerRefundID: providerRefundID), to: refund.refundID, logger: logger)
                return
            case .failed(let code):
                _ = try await applyRefund(.providerFailed(code: code, time: now()), to: refund.refundID, logger: logger)
                return
            case .notFound:
                // The refund call never arrived: send it again, same refundRequestId (idempotent).
                logger.info("provider has no record of the refund; sending it again")
                let current = try await startRefundOnce(refund, intent: intent, logger: logger)
                if current.status != .processing { return }
            case .processing:
                break
            }
        } catch {
            logger.info("refund reconciliation could not finish; will retry", metadata: ["error": "\(error)"])
        }
        let next = now().addingTimeInterval(reconciliation.wait(afterChecks: checks).timeInterval)
        try? await providerChecks.scheduleRefundCheck(refundID: refund.refundID, at: next, checks: checks)
    }
}
