import Foundation
import PostgresNIO
import ShroffCore

/// A stored row that does not read back as the domain expects (a bug or a hand-edited database).
struct StoredDataError: Error, CustomStringConvertible {
    let column: String
    var description: String { "unreadable stored value in \(column)" }
}

extension Date {
    /// Milliseconds since 1970, as the stores keep times (the same rounding as SQLite's store).
    var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(millis: Int64) { self.init(timeIntervalSince1970: TimeInterval(millis) / 1000) }
}

/// Reads columns by name, with the store's types (text, integer milliseconds).
struct Columns {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    func text(_ name: String) throws -> String {
        guard row.contains(name), let value = try? row[name].decode(String.self) else { throw StoredDataError(column: name) }
        return value
    }

    func optionalText(_ name: String) throws -> String? {
        guard row.contains(name) else { throw StoredDataError(column: name) }
        do { return try row[name].decode(String?.self) } catch { throw StoredDataError(column: name) }
    }

    func int64(_ name: String) throws -> Int64 {
        guard row.contains(name), let value = try? row[name].decode(Int64.self) else { throw StoredDataError(column: name) }
        return value
    }

    func optionalInt64(_ name: String) throws -> Int64? {
        guard row.contains(name) else { throw StoredDataError(column: name) }
        do { return try row[name].decode(Int64?.self) } catch { throw StoredDataError(column: name) }
    }

    func date(_ name: String) throws -> Date { Date(millis: try int64(name)) }

    func optionalDate(_ name: String) throws -> Date? { try optionalInt64(name).map(Date.init(millis:)) }

    func bytes(_ name: String) throws -> [UInt8] {
        guard row.contains(name), let value = try? row[name].decode(ByteBuffer.self) else { throw StoredDataError(column: name) }
        return Array(value.readableBytesView)
    }
}

/// The domain values from rows, and the column values they are written as.
enum Rows {
    static func merchant(_ row: PostgresRow) throws -> Merchant {
        let columns = Columns(row)
        return Merchant(
            uid: try columns.int64("uid"), name: try columns.text("name"), clientID: try columns.text("client_id"),
            apiKeyHash: try columns.text("api_key_hash"), webhookSecret: try columns.text("webhook_secret"),
            h5Domain: try columns.optionalText("h5_domain"), defaultNotifyURL: try columns.optionalText("default_notify_url"),
            createdAt: try columns.date("created_at"),
            previousWebhookSecret: try columns.optionalText("previous_webhook_secret"),
            previousWebhookSecretExpiresAt: try columns.optionalDate("previous_webhook_secret_expires_at"),
            defaultSettlementCurrency: try columns.text("default_settlement_currency")
        )
    }

    static func encodeMethod(_ method: PaymentMethodSpec) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(method), as: UTF8.self)
    }

    static func intent(_ row: PostgresRow) throws -> PaymentIntent {
        let columns = Columns(row)
        guard let currency = Currency(code: try columns.text("currency")),
              let status = PaymentStatus(rawValue: try columns.text("status")) else {
            throw StoredDataError(column: "payment_intents.currency/status")
        }
        let method = try JSONDecoder().decode(PaymentMethodSpec.self, from: Data(try columns.text("method").utf8))
        var nextAction: NextAction?
        if let type = try columns.optionalText("next_action_type").flatMap(NextAction.Kind.init(rawValue:)),
           let url = try columns.optionalText("next_action_url") {
            nextAction = NextAction.stored(type: type, url: url, details: try columns.optionalText("next_action_details"))
        }
        return PaymentIntent(
            orderID: try columns.text("order_id"), merchantUID: try columns.int64("merchant_uid"),
            merchantOrderID: try columns.text("merchant_order_id"),
            amount: Money(minorUnits: try columns.int64("amount_minor"), currency: currency),
            description: try columns.text("description"), notifyURL: try columns.optionalText("notify_url"),
            returnURL: try columns.optionalText("return_url"), method: method, status: status, nextAction: nextAction,
            createTime: try columns.date("create_time"), expiresAt: try columns.date("expires_at"),
            payTime: try columns.optionalDate("pay_time"), providerPaymentID: try columns.optionalText("provider_payment_id"),
            walletUsed: try columns.optionalText("wallet_used"), settleCurrency: try columns.optionalText("settle_currency"),
            failureCode: try columns.optionalText("failure_code"), refundedMinorUnits: try columns.int64("refunded_minor"),
            requestFingerprint: try columns.text("request_fingerprint"),
            tradeLinkClosesAt: try columns.optionalDate("trade_link_closes_at"),
            latePaymentTime: try columns.optionalDate("late_payment_time")
        )
    }

    static func event(_ row: PostgresRow) throws -> WebhookEvent {
        let columns = Columns(row)
        guard let kind = WebhookEvent.Kind(rawValue: try columns.text("kind")) else {
            throw StoredDataError(column: "webhook_events.kind")
        }
        return WebhookEvent(
            id: try columns.text("id"), merchantUID: try columns.int64("merchant_uid"), orderID: try columns.text("order_id"),
            kind: kind, body: try columns.text("body"), createdAt: try columns.date("created_at"),
            notifyURL: try columns.optionalText("notify_url")
        )
    }

    static func delivery(_ row: PostgresRow) throws -> WebhookDelivery {
        let columns = Columns(row)
        guard let status = DeliveryStatus(rawValue: try columns.text("status")) else {
            throw StoredDataError(column: "webhook_events.status")
        }
        return WebhookDelivery(
            event: try event(row), status: status, attemptCount: Int(try columns.int64("attempt_count")),
            nextAttemptAt: try columns.optionalDate("next_attempt_at"), lastError: try columns.optionalText("last_error"),
            completedAt: try columns.optionalDate("completed_at"), sequence: try columns.int64("seq")
        )
    }

    static func attempt(_ row: PostgresRow) throws -> DeliveryAttempt {
        let columns = Columns(row)
        return DeliveryAttempt(
            eventID: try columns.text("event_id"), number: Int(try columns.int64("number")),
            startedAt: try columns.date("started_at"), url: try columns.text("url"),
            httpStatus: try columns.optionalInt64("http_status").map { Int($0) },
            latencyMilliseconds: try columns.int64("latency_ms"), error: try columns.optionalText("error")
        )
    }

    static func refund(_ row: PostgresRow) throws -> Refund {
        let columns = Columns(row)
        guard let currency = Currency(code: try columns.text("currency")),
              let status = RefundStatus(rawValue: try columns.text("status")) else {
            throw StoredDataError(column: "refunds.currency/status")
        }
        return Refund(
            refundID: try columns.text("refund_id"), merchantUID: try columns.int64("merchant_uid"),
            orderID: try columns.text("order_id"), merchantRefundID: try columns.text("merchant_refund_id"),
            amount: Money(minorUnits: try columns.int64("amount_minor"), currency: currency),
            reason: try columns.optionalText("reason"), status: status,
            providerRefundID: try columns.optionalText("provider_refund_id"), failureCode: try columns.optionalText("failure_code"),
            createTime: try columns.date("create_time"), finishTime: try columns.optionalDate("finish_time"),
            requestFingerprint: try columns.text("request_fingerprint")
        )
    }
}
