import Foundation
import Hummingbird
import ShroffAPI
import ShroffCore

/// The merchant's view of its webhooks: deliveries with every attempt, replay, the default notify
/// URL and the signing secret's rotation.
struct WebhookAPI: Sendable {
    let merchants: any MerchantStore
    let webhooks: any WebhookStore
    let timestamps: TimestampFormat

    static let maximumPageSize = 100
    static let maximumGracePeriodSeconds: Int64 = 7 * 24 * 3600

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("webhooks/deliveries/list", use: list)
        group.post("webhooks/deliveries/resend", use: resend)
        group.post("webhooks/secret/rotate", use: rotateSecret)
        group.post("webhooks/settings/query", use: querySettings)
        group.post("webhooks/settings/update", use: updateSettings)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let merchant = try context.requireMerchant()
        let fields = FieldReader(try await MerchantAPI.jsonObject(request))
        var filter = DeliveryFilter()
        filter.orderID = try fields.optionalString("order_id", maxLength: 32)
        if let status = try fields.choice("status", in: DeliveryStatus.allCases.map(\.rawValue)) {
            filter.status = DeliveryStatus(rawValue: status)
        }
        filter.createdFrom = try time(fields, "created_from")
        filter.createdTo = try time(fields, "created_to")
        if let cursor = try fields.optionalString("cursor", maxLength: 20) {
            guard let sequence = Int64(cursor), sequence >= 0 else {
                throw GatewayError.invalidParameter("cursor", "must be a next_cursor from a previous page")
            }
            filter.after = sequence
        }
        let limit = try fields.optionalInteger("limit") ?? 20
        guard (1...Int64(Self.maximumPageSize)).contains(limit) else {
            throw GatewayError.invalidParameter("limit", "must be between 1 and \(Self.maximumPageSize)")
        }
        // One more than asked tells whether another page exists.
        filter.limit = Int(limit) + 1
        var page = try await webhooks.deliveries(merchantUID: merchant.uid, filter: filter)
        let hasMore = page.count > Int(limit)
        if hasMore { page.removeLast() }
        var answers: [ShroffAPI.WebhookDelivery] = []
        for delivery in page {
            answers.append(ShroffAPI.WebhookDelivery(delivery, attempts: try await webhooks.attempts(eventID: delivery.event.id), timestamps: timestamps))
        }
        return try Envelope.ok(
            // The cursor is given whenever the page is not empty, so a poller can wait for newer events.
            WebhookDeliveryPage(deliveries: answers, hasMore: hasMore, nextCursor: page.last.map { String($0.sequence) }),
            context: context
        )
    }

    @Sendable func resend(_ request: Request, context: AppRequestContext) async throws -> Response {
        let merchant = try context.requireMerchant()
        let fields = FieldReader(try await MerchantAPI.jsonObject(request))
        let eventID = try fields.string("webhook_id", maxLength: 64)
        guard let delivery = try await webhooks.requeue(merchantUID: merchant.uid, eventID: eventID, now: Date()) else {
            throw GatewayError(.notFound, "webhook_id: no such webhook")
        }
        context.logger.info("webhook resend requested", metadata: ["webhook_id": "\(eventID)"])
        let attempts = try await webhooks.attempts(eventID: eventID)
        return try Envelope.ok(ShroffAPI.WebhookDelivery(delivery, attempts: attempts, timestamps: timestamps), context: context)
    }

    @Sendable func rotateSecret(_ request: Request, context: AppRequestContext) async throws -> Response {
        let merchant = try context.requireMerchant()
        let fields = FieldReader(try await MerchantAPI.jsonObject(request))
        let grace = try fields.optionalInteger("grace_period_seconds") ?? 24 * 3600
        guard (0...Self.maximumGracePeriodSeconds).contains(grace) else {
            throw GatewayError.invalidParameter("grace_period_seconds", "must be between 0 and \(Self.maximumGracePeriodSeconds)")
        }
        let expiry = Date().addingTimeInterval(TimeInterval(grace))
        guard let updated = try await merchants.rotateWebhookSecret(
            uid: merchant.uid, newSecret: MerchantFactory.newWebhookSecret(), previousValidUntil: expiry
        ) else { throw GatewayError(.unauthorized, "Authorization: the token's merchant no longer exists") }
        context.logger.info("webhook secret rotated", metadata: ["grace_period_seconds": "\(grace)"])
        return try Envelope.ok(
            WebhookSecretRotation(webhookSecret: updated.webhookSecret, previousSecretExpiresAt: timestamps.string(from: expiry)),
            context: context
        )
    }

    @Sendable func querySettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let merchant = try context.requireMerchant()
        // The body is optional here, but when sent it must be a JSON object like everywhere else.
        if request.headers[.contentType] != nil || request.headers[.contentLength].map({ $0 != "0" }) == true {
            _ = try await MerchantAPI.jsonObject(request)
        }
        return try Envelope.ok(WebhookSettings(merchant, timestamps: timestamps), context: context)
    }

    @Sendable func updateSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let merchant = try context.requireMerchant()
        let body = try await MerchantAPI.jsonObject(request)
        guard let value = body["default_notify_url"] else {
            throw GatewayError.invalidParameter("default_notify_url", "is required (a URL, or null to remove it)")
        }
        let url: String?
        switch value {
        case .null:
            url = nil
        case .string(let text):
            guard text.utf8.count <= 1024 else { throw GatewayError.invalidParameter("default_notify_url", "must be at most 1024 bytes in UTF-8") }
            url = try CreateIntentRequest.requireHTTPURL(text, field: "default_notify_url").normalized
        default:
            throw GatewayError.invalidParameter("default_notify_url", "must be a string or null, not \(value.typeName)")
        }
        guard let updated = try await merchants.setDefaultNotifyURL(uid: merchant.uid, url: url) else {
            throw GatewayError(.unauthorized, "Authorization: the token's merchant no longer exists")
        }
        return try Envelope.ok(WebhookSettings(updated, timestamps: timestamps), context: context)
    }

    func time(_ fields: FieldReader, _ key: String) throws -> Date? {
        guard let text = try fields.optionalString(key, maxLength: 40) else { return nil }
        guard let date = TimestampFormat.parse(text) else {
            throw GatewayError.invalidParameter(key, "must be an RFC 3339 time with an offset, e.g. 2026-11-22T10:00:00+08:00")
        }
        return date
    }
}

extension ShroffAPI.WebhookDelivery {
    init(_ delivery: ShroffCore.WebhookDelivery, attempts: [DeliveryAttempt], timestamps: TimestampFormat) {
        self.init(
            webhookID: delivery.event.id, notifyType: delivery.event.kind.rawValue, orderID: delivery.event.orderID,
            status: delivery.status.rawValue, notifyURL: delivery.event.notifyURL,
            createdAt: timestamps.string(from: delivery.event.createdAt),
            nextAttemptAt: delivery.status == .pending ? delivery.nextAttemptAt.map(timestamps.string(from:)) : nil,
            completedAt: delivery.completedAt.map(timestamps.string(from:)), lastError: delivery.lastError,
            attemptCount: delivery.attemptCount,
            attempts: attempts.map {
                WebhookAttempt(
                    attempt: $0.number, time: timestamps.string(from: $0.startedAt), url: $0.url, httpStatus: $0.httpStatus,
                    latencyMs: Int($0.latencyMilliseconds), error: $0.error
                )
            },
            payload: RawJSON(text: delivery.event.body)
        )
    }
}

extension WebhookSettings {
    init(_ merchant: Merchant, timestamps: TimestampFormat) {
        self.init(
            defaultNotifyURL: merchant.defaultNotifyURL,
            previousSecretExpiresAt: merchant.previousWebhookSecretExpiresAt.flatMap {
                $0 > Date() ? timestamps.string(from: $0) : nil
            }
        )
    }
}
