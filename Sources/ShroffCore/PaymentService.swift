import Foundation
import Logging

/// The payment use cases, over the ports: creating and querying intents and applying what the
/// provider reports. Every status change goes through `PaymentStateMachine` and is stored together
/// with the webhook it causes.
public struct PaymentService: Sendable {
    public let intents: any PaymentIntentStore
    public let refunds: any RefundStore
    /// When late intents and refunds are next checked at the provider.
    public let providerChecks: any ReconciliationStore
    public let provider: any PaymentProvider
    public let timestamps: TimestampFormat
    public let defaultExpirySeconds: Int64
    public let reconciliation: ReconciliationSchedule
    public let now: @Sendable () -> Date
    /// Told of every `OperatorAlert` as it happens, with the payment it concerns.
    public let alert: @Sendable (RaisedAlert) -> Void
    /// Signs the WAP URLs of mobile_web intents when the shopper follows the intent's link.
    public let tradeLinks: (any TradeLinkIssuer)?
    /// How long after a WAP URL's trade would close the gateway still watches a cancelled intent
    /// for a payment (the shopper's browser may reach the provider a little late).
    public let tradeLinkMargin: Duration
    private let downstreamStarts = SingleFlight<PaymentIntent>()
    let refundStarts = SingleFlight<Refund>()

    public init(
        intents: any PaymentIntentStore, refunds: any RefundStore, providerChecks: any ReconciliationStore, provider: any PaymentProvider,
        timestamps: TimestampFormat,
        defaultExpirySeconds: Int64 = 1800, reconciliation: ReconciliationSchedule = .standard,
        now: @escaping @Sendable () -> Date = { Date() }, alert: @escaping @Sendable (RaisedAlert) -> Void = { _ in },
        tradeLinks: (any TradeLinkIssuer)? = nil, tradeLinkMargin: Duration = .seconds(600)
    ) {
        self.intents = intents
        self.refunds = refunds
        self.providerChecks = providerChecks
        self.provider = provider
        self.timestamps = timestamps
        self.defaultExpirySeconds = defaultExpirySeconds
        self.reconciliation = reconciliation
        self.now = now
        self.alert = alert
        self.tradeLinks = tradeLinks
        self.tradeLinkMargin = tradeLinkMargin
    }

    /// Creates the intent and starts the downstream payment. Idempotent on merchant_order_id: an
    /// identical retry answers the same intent (and re-asks the provider with the same request id
    /// while the first attempt got no answer), different parameters are refused with 40900.
    public func create(_ request: CreateIntentRequest, merchant: Merchant, logger: Logger) async throws -> PaymentIntent {
        let createTime = now()
        let candidate = PaymentIntent(
            orderID: Identifier.paymentIntent(at: createTime), merchantUID: merchant.uid,
            merchantOrderID: request.merchantOrderID, amount: request.amount, description: request.description,
            notifyURL: request.notifyURL, returnURL: request.returnURL, method: request.method,
            createTime: createTime,
            expiresAt: createTime.addingTimeInterval(TimeInterval(request.expireInSeconds ?? defaultExpirySeconds)),
            // Seed 000: no settlement currency named means the merchant's default one, until the
            // provider reports the currency it actually settles in.
            settleCurrency: request.method.settlementCurrency ?? merchant.defaultSettlementCurrency,
            requestFingerprint: request.fingerprint,
            firstCheckAt: createTime.addingTimeInterval(reconciliation.first.timeInterval)
        )
        let intent: PaymentIntent
        switch try await intents.insert(candidate) {
        case .inserted(let inserted):
            intent = inserted
            logger.info("payment intent created", metadata: ["order_id": "\(intent.orderID)"])
        case .existing(let existing):
            guard existing.requestFingerprint == candidate.requestFingerprint else {
                throw GatewayError(
                    .duplicateRequest,
                    "merchant_order_id: \(existing.merchantOrderID) was already used with different parameters"
                )
            }
            guard existing.status == .pending, existing.nextAction == nil else { return existing }
            intent = existing
            logger.info("payment intent retried before the provider answered", metadata: ["order_id": "\(intent.orderID)"])
        }
        return try await downstreamStarts.run(intent.orderID) {
            // A racing identical create may have finished the start meanwhile.
            if let current = try await intents.intent(orderID: intent.orderID), current.status != .pending || current.nextAction != nil {
                return current
            }
            return try await startDownstream(intent, merchant: merchant, logger: logger)
        }
    }

    func startDownstream(_ intent: PaymentIntent, merchant: Merchant, logger: Logger) async throws -> PaymentIntent {
        let start: ProviderPaymentStart
        do {
            start = try await provider.startPayment(ProviderPaymentRequest(intent: intent, merchantName: merchant.name))
        } catch let unavailable as ProviderUnavailable {
            logger.warning("provider unavailable on create", metadata: [
                "order_id": "\(intent.orderID)", "reason": "\(unavailable.reason)",
            ])
            throw GatewayError(
                .providerUnavailable,
                "the wallet provider did not answer; nothing was charged twice, retry with the same merchant_order_id",
                retryAfterSeconds: 5
            )
        } catch let fault as ProviderIntegrationFault {
            throw integrationFault(fault, merchantUID: intent.merchantUID, orderID: intent.orderID, refundID: nil, logger: logger)
        }
        switch start {
        case .awaitingShopper(let action, let providerPaymentID):
            let updated = try await apply(.providerAwaitingShopper(action, providerPaymentID: providerPaymentID), to: intent.orderID, logger: logger)
            if updated.status == .cancelled {
                // The merchant cancelled while this call was on its way, when the provider had no payment
                // to cancel yet; now it has one the shopper could pay, so it is cancelled as well.
                logger.warning("payment created downstream after its intent was cancelled; cancelling it", metadata: [
                    "order_id": "\(intent.orderID)",
                ])
                return (try? await cancelDownstream(updated, reason: "MERCHANT_CANCELLED", logger: logger)) ?? updated
            }
            return updated
        case .succeeded(let payTime, let wallet, _):
            return try await apply(.providerSucceeded(payTime: payTime, wallet: wallet, settleCurrency: nil), to: intent.orderID, logger: logger)
        case .rejected(let code, let message):
            _ = try await apply(.providerFailed(code: code), to: intent.orderID, logger: logger)
            throw GatewayError(.rejected, "payment_method: the wallet provider rejected the payment: \(code) (\(message))", providerCode: code)
        }
    }

    /// The provider refused the gateway's own set-up: the operator is alerted, nothing changes (the
    /// intent or refund stays retryable with the same ids), and the merchant gets a 50000 that says so.
    func integrationFault(
        _ fault: ProviderIntegrationFault, merchantUID: Int64, orderID: String, refundID: String?, logger: Logger
    ) -> GatewayError {
        logger.error("provider refused the gateway's set-up; operator attention needed", metadata: [
            "reference": "\(refundID ?? orderID)", "operation": "\(fault.operation)", "provider_code": "\(fault.code)",
        ])
        alert(RaisedAlert(
            .providerIntegrationFault, merchantUID: merchantUID, orderID: orderID, refundID: refundID,
            detail: "provider refused \(fault.operation) with \(fault.code)", time: now()
        ))
        return GatewayError(
            .internalError,
            "provider: the gateway's set-up with the wallet provider was refused (\(fault.code)); the operator has been alerted. "
                + "Nothing was charged: retry later with the same ids",
            providerCode: fault.code
        )
    }

    /// Applies a provider event to an intent through the state machine, with its webhook.
    @discardableResult
    public func apply(_ event: PaymentEvent, to orderID: String, logger: Logger) async throws -> PaymentIntent {
        let timestamps = self.timestamps
        let now = self.now
        let outcome = try await intents.transition(
            orderID: orderID,
            decide: { PaymentStateMachine.transition($0, on: event) },
            makeEvent: { intent, kind in WebhookPayload.event(kind, for: intent, at: now(), timestamps: timestamps) }
        )
        switch outcome {
        case .applied(let intent, let webhook):
            logger.info("payment intent changed", metadata: [
                "order_id": "\(orderID)", "status": "\(intent.status.rawValue)",
                "webhook_id": "\(webhook?.id ?? "-")",
            ])
            if intent.status == .succeeded, let payTime = intent.payTime, payTime > intent.expiresAt {
                logger.warning("payment made after the intent expired; recorded as SUCCEEDED, operator attention needed", metadata: [
                    "order_id": "\(orderID)",
                ])
                alert(RaisedAlert(
                    .paidAfterExpiry, merchantUID: intent.merchantUID, orderID: orderID, detail: "paid after the intent's expiry", time: now()
                ))
            }
            if case .providerSucceeded = event, intent.status == .cancelled, intent.latePaymentTime != nil {
                logger.error("payment made after the intent was cancelled; refunding it automatically, operator attention needed", metadata: [
                    "order_id": "\(orderID)", "failure_code": "\(intent.failureCode ?? "-")",
                ])
                alert(RaisedAlert(
                    .paidAfterCancel, merchantUID: intent.merchantUID, orderID: orderID,
                    detail: "paid after the intent was cancelled; refunded automatically", time: now()
                ))
                await refundLatePayment(intent, logger: logger)
            }
            return intent
        case .unchanged(let intent, .conflict(let reason)):
            logger.error("provider contradicts a final payment state; operator attention needed", metadata: [
                "order_id": "\(orderID)", "status": "\(intent.status.rawValue)", "reason": "\(reason)",
            ])
            alert(RaisedAlert(
                .paymentConflict, merchantUID: intent.merchantUID, orderID: orderID,
                detail: "provider contradicts \(intent.status.rawValue): \(reason)", time: now()
            ))
            return intent
        case .unchanged(let intent, let transition):
            logger.debug("payment event ignored", metadata: ["order_id": "\(orderID)", "transition": "\(transition)"])
            return intent
        case .notFound:
            throw GatewayError(.notFound, "order_id: no such payment intent")
        }
    }

    /// Opens the shopper's checkout of a mobile_web intent: while it is PENDING and unexpired, records
    /// a freshly signed WAP URL's window (in the intent's transaction, so a racing cancel sees it
    /// and keeps watching) and answers the URL to redirect to; nil when it can no longer be paid.
    public func openTradeLink(orderID: String, logger: Logger) async throws -> String? {
        guard let tradeLinks, let intent = try await intents.intent(orderID: orderID),
              intent.status == .pending, intent.method.flow == .mobileWeb else { return nil }
        let time = now()
        guard time < intent.expiresAt, let link = try tradeLinks.tradeLink(for: intent, now: time) else {
            logger.info("checkout link opened too late to pay", metadata: ["order_id": "\(orderID)"])
            return nil
        }
        let updated = try await apply(.tradeLinkIssued(at: time, closesAt: link.closesAt), to: orderID, logger: logger)
        guard updated.status == .pending, let closesAt = updated.tradeLinkClosesAt, closesAt >= link.closesAt else { return nil }
        return link.url
    }

    /// Cancels a PENDING intent: the downstream payment is cancelled first, and if the shopper paid
    /// meanwhile the intent becomes SUCCEEDED and the cancel is refused (40901). A CANCELLED intent
    /// is answered unchanged.
    public func cancel(merchantUID: Int64, orderID: String?, merchantOrderID: String?, logger: Logger) async throws -> PaymentIntent {
        let intent = try await find(merchantUID: merchantUID, orderID: orderID, merchantOrderID: merchantOrderID)
        switch intent.status {
        case .cancelled:
            return intent
        case .succeeded:
            throw GatewayError(.invalidState, "status: the intent is SUCCEEDED and cannot be cancelled; refund it instead")
        case .pending:
            let result = try await cancelDownstream(intent, reason: "MERCHANT_CANCELLED", logger: logger)
            guard result.status != .succeeded else {
                throw GatewayError(.invalidState, "status: the shopper paid before the cancel reached the wallet; the intent is SUCCEEDED")
            }
            return result
        }
    }

    /// Asks the provider to cancel, then records what it says. Throws 50300 when it cannot be asked.
    func cancelDownstream(_ intent: PaymentIntent, reason: String, logger: Logger) async throws -> PaymentIntent {
        let result: ProviderCancelResult
        do {
            result = try await provider.cancelPayment(intent)
        } catch let unavailable as ProviderUnavailable {
            logger.warning("provider unavailable on cancel", metadata: ["order_id": "\(intent.orderID)", "reason": "\(unavailable.reason)"])
            throw GatewayError(.providerUnavailable, "the wallet provider did not answer; the intent is still PENDING, retry the cancel", retryAfterSeconds: 5)
        }
        switch result {
        case .cancelled, .notFound:
            return try await apply(.cancelConfirmed(reason: reason), to: intent.orderID, logger: logger)
        case .alreadyPaid(let payTime, let wallet, let settleCurrency):
            return try await apply(.providerSucceeded(payTime: payTime, wallet: wallet, settleCurrency: settleCurrency), to: intent.orderID, logger: logger)
        }
    }

    /// Finds a merchant's intent by `order_id` and/or `merchant_order_id`.
    public func find(merchantUID: Int64, orderID: String?, merchantOrderID: String?) async throws -> PaymentIntent {
        let intent: PaymentIntent?
        if let orderID {
            intent = try await intents.intent(merchantUID: merchantUID, orderID: orderID)
            if let intent, let merchantOrderID, intent.merchantOrderID != merchantOrderID {
                throw GatewayError.invalidParameter("merchant_order_id", "does not belong to order_id \(orderID)")
            }
        } else if let merchantOrderID {
            intent = try await intents.intent(merchantUID: merchantUID, merchantOrderID: merchantOrderID)
        } else {
            throw GatewayError.invalidParameter("order_id", "order_id or merchant_order_id is required")
        }
        guard let intent else { throw GatewayError(.notFound, "order_id: no such payment intent") }
        return intent
    }
}

/// The merchant-facing webhook bodies (seed 000's `payment_success` and its siblings).
public enum WebhookPayload {
    public static func event(_ kind: WebhookEvent.Kind, for intent: PaymentIntent, at time: Date, timestamps: TimestampFormat) -> WebhookEvent {
        var data = intentFields(intent, timestamps: timestamps)
        switch kind {
        case .paymentSuccess:
            data["settle_currency"] = .string(intent.answeredSettleCurrency)
            data["pay_time"] = .string(timestamps.string(from: intent.payTime ?? time))
        case .paymentCancelled:
            data["cancel_time"] = .string(timestamps.string(from: time))
            data["reason"] = .string(intent.failureCode ?? "CANCELLED")
        case .refundSuccess, .refundFailed:
            break
        }
        return make(kind, data: data, intent: intent, at: time)
    }

    /// `refund_success` / `refund_failed`: the intent's identifiers and the refund's.
    public static func event(_ kind: WebhookEvent.Kind, for refund: Refund, of intent: PaymentIntent, at time: Date, timestamps: TimestampFormat) -> WebhookEvent {
        var data = intentFields(intent, timestamps: timestamps)
        data["refund_id"] = .string(refund.refundID)
        data["merchant_refund_id"] = .string(refund.merchantRefundID)
        data["refund_amount"] = .string(refund.amount.decimalString)
        data["refund_currency"] = .string(refund.amount.currency.code)
        data["refund_status"] = .string(refund.status.rawValue)
        data["refund_create_time"] = .string(timestamps.string(from: refund.createTime))
        data["finish_time"] = .string(timestamps.string(from: refund.finishTime ?? time))
        data["refunded_amount"] = .string(Money(minorUnits: intent.refundedMinorUnits, currency: intent.amount.currency).decimalString)
        if let reason = refund.reason { data["reason"] = .string(reason) }
        if let code = refund.failureCode { data["failure_code"] = .string(code) }
        return make(kind, data: data, intent: intent, at: time)
    }

    static func intentFields(_ intent: PaymentIntent, timestamps: TimestampFormat) -> [String: JSONValue] {
        [
            "uid": .number(String(intent.merchantUID)),
            "order_id": .string(intent.orderID),
            "merchant_order_id": .string(intent.merchantOrderID),
            "order_amount": .string(intent.amount.decimalString),
            "order_currency": .string(intent.amount.currency.code),
            "create_time": .string(timestamps.string(from: intent.createTime)),
        ]
    }

    static func make(_ kind: WebhookEvent.Kind, data: [String: JSONValue], intent: PaymentIntent, at time: Date) -> WebhookEvent {
        let document = JSONValue.object(["notify_type": .string(kind.rawValue), "data": .object(data)])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue tree cannot fail.
        let body = String(decoding: try! encoder.encode(document), as: UTF8.self)
        return WebhookEvent(
            id: Identifier.webhookEvent(), merchantUID: intent.merchantUID, orderID: intent.orderID, kind: kind, body: body,
            createdAt: time, notifyURL: intent.notifyURL
        )
    }
}
