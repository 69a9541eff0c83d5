import Foundation
import Logging
import ShroffCore

/// Fills a database with payment intents for the growth benchmark (`shroff bench-seed`), directly
/// through the store in transactions of `batchSize`: much faster than the API, and the rows are the
/// ones the API would write. The intents belong to a merchant of their own and are SUCCEEDED (a
/// CANCELLED one may be watched for a late payment), so no reconciler or webhook work follows them;
/// their times are spread over the last 30 days. With `webhooksTo`, each intent also gets two outbox
/// events for that URL (payment_success, then refund_success), for the webhook benchmark: a backlog
/// the dispatcher delivers as soon as a gateway starts, and whose per-intent order can be checked.
public enum BenchmarkSeed {
    public static let batchSize = 5_000

    /// Seeds `count` intents and returns the new merchant's uid; `progress` is told the running total.
    public static func seed(
        intents count: Int, webhooksTo notifyURL: String? = nil, configuration: GatewayConfiguration, logger: Logger,
        progress: @Sendable (Int) -> Void
    ) async throws -> Int64 {
        guard (1...10_000_000).contains(count) else { throw ConfigurationError(description: "--intents: 1 to 10000000") }
        return try await DatabaseConnection.with(configuration: configuration, logger: logger) { database in
            let merchant = try await MerchantAdministration.create(name: "Seeded shop", h5Domain: nil, in: database.store)
            let now = Date()
            var seeded = 0
            while seeded < count {
                let batch = (seeded..<min(seeded + batchSize, count)).map {
                    intent(number: $0, merchantUID: merchant.uid, notifyURL: notifyURL, now: now)
                }
                let events = notifyURL == nil ? [] : batch.flatMap { intent in
                    [WebhookEvent.Kind.paymentSuccess, .refundSuccess].map { kind in
                        WebhookEvent(
                            id: Identifier.webhookEvent(), merchantUID: merchant.uid, orderID: intent.orderID, kind: kind,
                            body: #"{"notify_type":"\#(kind.rawValue)","data":{"order_id":"\#(intent.orderID)"}}"#,
                            createdAt: now, notifyURL: intent.notifyURL
                        )
                    }
                }
                seeded += try await database.store.insertAll(batch, events: events)
                progress(seeded)
            }
            return merchant.uid
        }
    }

    static func intent(number: Int, merchantUID: Int64, notifyURL: String?, now: Date) -> PaymentIntent {
        let created = now.addingTimeInterval(-Double(number % 2_592_000))
        return PaymentIntent(
            orderID: Identifier.paymentIntent(at: created), merchantUID: merchantUID, merchantOrderID: "SEED-\(number)",
            amount: Money(minorUnits: Int64(100 + number % 100_000), currency: Currency(code: "HKD")!), description: "Seeded",
            notifyURL: notifyURL, returnURL: nil, method: PaymentMethodSpec(channel: .alipayhk, flow: .csbQRCode, wallet: "ALIPAYHK"),
            status: .succeeded, createTime: created, expiresAt: created.addingTimeInterval(900),
            payTime: created.addingTimeInterval(30), providerPaymentID: "SEED\(number)", walletUsed: "ALIPAYHK", requestFingerprint: "seed"
        )
    }
}
