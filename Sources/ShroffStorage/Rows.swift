import Foundation
import Synchronization
import ShroffCore

/// The domain values the stores read back from rows, and how a payment method is stored.
enum Rows {
    static func merchant(_ row: SQLRow) throws -> Merchant {
        Merchant(
            uid: try row.int64("uid"), name: try row.text("name"), clientID: try row.text("client_id"),
            apiKeyHash: try row.text("api_key_hash"), webhookSecret: try row.text("webhook_secret"),
            h5Domain: try row.optionalText("h5_domain"), defaultNotifyURL: try row.optionalText("default_notify_url"),
            createdAt: try row.date("created_at"),
            previousWebhookSecret: try row.optionalText("previous_webhook_secret"),
            previousWebhookSecretExpiresAt: try row.optionalDate("previous_webhook_secret_expires_at"),
            defaultSettlementCurrency: try row.text("default_settlement_currency"),
            disabledAt: try row.optionalDate("disabled_at")
        )
    }

    /// A merchant's signing secrets, from the merchant columns a delivery claim reads.
    static func signingSecrets(_ row: SQLRow) throws -> WebhookSigningSecrets {
        WebhookSigningSecrets(
            current: try row.text("webhook_secret"), previous: try row.optionalText("previous_webhook_secret"),
            previousExpiresAt: try row.optionalDate("previous_webhook_secret_expires_at")
        )
    }

    /// The stored form of a payment method: JSON with sorted keys.
    static func encodeMethod(_ method: PaymentMethodSpec) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(method), as: UTF8.self)
    }

    /// A stored payment method, decoded once per distinct text: a gateway sees few of them (a
    /// channel, a flow, a wallet, a few options) and decoding one was a twentieth of a query's CPU.
    static func decodedMethod(_ text: String) throws -> PaymentMethodSpec {
        if let known = decodedMethods.withLock({ $0[text] }) { return known }
        let method = try JSONDecoder().decode(PaymentMethodSpec.self, from: Data(text.utf8))
        decodedMethods.withLock { cache in
            // Bounded: past the limit it starts again.
            if cache.count >= 256 { cache = [:] }
            cache[text] = method
        }
        return method
    }

    private static let decodedMethods = Mutex<[String: PaymentMethodSpec]>([:])

    static func intent(_ row: SQLRow) throws -> PaymentIntent {
        guard let currency = Currency(code: try row.text("currency")),
              let status = PaymentStatus(rawValue: try row.text("status")) else {
            throw StoredDataError(column: "payment_intents.currency/status")
        }
        let method = try decodedMethod(try row.text("method"))
        var nextAction: NextAction?
        if let type = try row.optionalText("next_action_type").flatMap(NextAction.Kind.init(rawValue:)),
           let url = try row.optionalText("next_action_url") {
            nextAction = NextAction.stored(type: type, url: url, details: try row.optionalText("next_action_details"))
        }
        return PaymentIntent(
            orderID: try row.text("order_id"), merchantUID: try row.int64("merchant_uid"),
            merchantOrderID: try row.text("merchant_order_id"),
            amount: Money(minorUnits: try row.int64("amount_minor"), currency: currency),
            description: try row.text("description"), notifyURL: try row.optionalText("notify_url"),
            returnURL: try row.optionalText("return_url"), method: method, status: status, nextAction: nextAction,
            createTime: try row.date("create_time"), expiresAt: try row.date("expires_at"),
            payTime: try row.optionalDate("pay_time"), providerPaymentID: try row.optionalText("provider_payment_id"),
            walletUsed: try row.optionalText("wallet_used"), settleCurrency: try row.optionalText("settle_currency"),
            failureCode: try row.optionalText("failure_code"), refundedMinorUnits: try row.int64("refunded_minor"),
            requestFingerprint: try row.text("request_fingerprint"),
            tradeLinkClosesAt: try row.optionalDate("trade_link_closes_at"),
            latePaymentTime: try row.optionalDate("late_payment_time")
        )
    }

    static func event(_ row: SQLRow) throws -> WebhookEvent {
        guard let kind = WebhookEvent.Kind(rawValue: try row.text("kind")) else {
            throw StoredDataError(column: "webhook_events.kind")
        }
        return WebhookEvent(
            id: try row.text("id"), merchantUID: try row.int64("merchant_uid"), orderID: try row.text("order_id"),
            kind: kind, body: try row.text("body"), createdAt: try row.date("created_at"),
            notifyURL: try row.optionalText("notify_url")
        )
    }

    static func delivery(_ row: SQLRow) throws -> WebhookDelivery {
        guard let status = DeliveryStatus(rawValue: try row.text("status")) else {
            throw StoredDataError(column: "webhook_events.status")
        }
        return WebhookDelivery(
            event: try event(row), status: status, attemptCount: Int(try row.int64("attempt_count")),
            nextAttemptAt: try row.optionalDate("next_attempt_at"), lastError: try row.optionalText("last_error"),
            completedAt: try row.optionalDate("completed_at"), sequence: try row.int64("seq")
        )
    }

    static func attempt(_ row: SQLRow) throws -> DeliveryAttempt {
        DeliveryAttempt(
            eventID: try row.text("event_id"), number: Int(try row.int64("number")),
            startedAt: try row.date("started_at"), url: try row.text("url"),
            httpStatus: try row.optionalInt64("http_status").map { Int($0) },
            latencyMilliseconds: try row.int64("latency_ms"), error: try row.optionalText("error")
        )
    }

    static func refund(_ row: SQLRow) throws -> Refund {
        guard let currency = Currency(code: try row.text("currency")),
              let status = RefundStatus(rawValue: try row.text("status")) else {
            throw StoredDataError(column: "refunds.currency/status")
        }
        return Refund(
            refundID: try row.text("refund_id"), merchantUID: try row.int64("merchant_uid"),
            orderID: try row.text("order_id"), merchantRefundID: try row.text("merchant_refund_id"),
            amount: Money(minorUnits: try row.int64("amount_minor"), currency: currency),
            reason: try row.optionalText("reason"), status: status,
            providerRefundID: try row.optionalText("provider_refund_id"), failureCode: try row.optionalText("failure_code"),
            createTime: try row.date("create_time"), finishTime: try row.optionalDate("finish_time"),
            requestFingerprint: try row.text("request_fingerprint")
        )
    }

    /// How many checks a claimed intent or refund has had.
    static func checkCount(_ row: SQLRow) throws -> Int { Int(try row.int64("check_count")) }
}
