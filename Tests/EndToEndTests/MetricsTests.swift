import Foundation
import ShroffCore
import Testing

/// `GET /metrics`: what an operator scrapes, from a real server after a real payment.
@Suite("Prometheus metrics")
struct MetricsTests {
    /// The value of the sample `name{labels}` in a Prometheus text exposition, if present.
    static func sample(_ exposition: String, _ name: String, _ labels: String) -> Double? {
        let prefix = labels.isEmpty ? "\(name) " : "\(name){\(labels)} "
        return exposition.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
    }

    /// Scrapes `GET /metrics` until `ready` holds (or 10 s pass), checking the content type.
    static func scrape(_ server: Running, until ready: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let answer = try await server.send(.GET, "\(server.gatewayURL)/metrics")
            #expect(answer.status == 200)
            #expect(answer.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
            if ready(answer.body) || ContinuousClock.now > deadline { return answer.body }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test("requests by route template, provider calls, webhook attempts; unknown paths and methods make no new series; no secrets")
    func afterAPayment() async throws {
        try await WebhookTests.withReceiver { server, receiver, url in
            let token = try await server.login()
            let intent = try await WebhookTests.pay(server, token: token, notifyURL: url)
            #expect(intent["status"] as? String == "SUCCEEDED")
            #expect(await receiver.waitFor(1).count == 1)
            let orderID = try #require(intent["order_id"] as? String)
            _ = try await server.send(.GET, "\(server.sandboxURL)/sandbox/v1/payments/\(orderID)")
            _ = try await server.send(.GET, "\(server.gatewayURL)/no/such/\(orderID)")
            _ = try await server.send(.init(rawValue: "PROPFIND"), "\(server.gatewayURL)/healthz")
            _ = try await server.send(.GET, "\(server.gatewayURL)/healthz")

            // The receiver has the webhook a moment before the dispatcher records its answer.
            let text = try await Self.scrape(server) { Self.sample($0, "shroff_webhook_attempts_total", #"outcome="delivered""#) == 1 }
            #expect(text.contains("# TYPE shroff_http_requests_total counter"))
            #expect(Self.sample(text, "shroff_http_requests_total", #"method="POST",route="/mch-api/v1/authentication/login",status="200""#) == 1)
            #expect(Self.sample(text, "shroff_http_requests_total", #"method="POST",route="/mch-api/v1/pa/payment_intents/create",status="200""#) == 1)
            #expect((Self.sample(text, "shroff_http_requests_total", #"method="POST",route="/mch-api/v1/pa/payment_intents/query",status="200""#) ?? 0) >= 1)
            #expect(Self.sample(text, "shroff_http_requests_total", #"method="GET",route="/healthz",status="200""#) == 1)
            // Paths are route templates: no order id, no unknown path, no odd method becomes a label.
            #expect(Self.sample(text, "shroff_http_requests_total", #"method="GET",route="unmatched",status="404""#) == 1)
            #expect(Self.sample(text, "shroff_http_requests_total", #"method="OTHER",route="unmatched",status="405""#) == 1)
            #expect(!text.contains(orderID) && !text.contains("PROPFIND") && !text.contains("/no/such"))
            #expect(Self.sample(text, "shroff_http_request_duration_seconds_count", #"method="POST",route="/mch-api/v1/pa/payment_intents/create""#) == 1)
            // The gateway's own calls to the provider, and the webhook it delivered.
            #expect(Self.sample(text, "shroff_provider_calls_total", #"provider="alipayplus_ams",operation="pay",outcome="answered""#) == 1)
            #expect(Self.sample(text, "shroff_provider_call_duration_seconds_count", #"provider="alipayplus_ams",operation="pay""#) == 1)
            #expect(Self.sample(text, "shroff_webhook_attempts_total", #"outcome="delivered""#) == 1)
            #expect(Self.sample(text, "shroff_webhook_attempt_duration_seconds_count", "") == 1)
            #expect(text.contains("shroff_reconciliation_checks_total"))
            for alert in ["payment_conflict", "refund_conflict", "paid_after_expiry", "paid_after_cancel"] {
                #expect(Self.sample(text, "shroff_operator_alerts_total", #"alert="\#(alert)""#) == 0)
            }
            // The outbox, read from the database: the one event was delivered, nothing waits.
            #expect(Self.sample(text, "shroff_webhook_outbox_pending_events", "") == 0)
            #expect(Self.sample(text, "shroff_webhook_outbox_oldest_pending_age_seconds", "") == 0)
            #expect(Self.sample(text, "shroff_webhook_outbox_failed_events", "") == 0)
            // Nothing secret.
            for secret in [token, server.credentials.apiKey, server.credentials.webhookSecret] { #expect(!text.contains(secret)) }
        }
    }

    @Test("the outbox backlog: an event whose receiver keeps failing is counted as pending, with its age")
    func outboxBacklog() async throws {
        try await WebhookTests.withReceiver(.alwaysFail, adjust: { configuration in
            configuration.webhookRetryPolicy = WebhookRetryPolicy(delays: [.seconds(3600)], jitter: 0, maximumRetryAfter: .seconds(5))
        }) { server, receiver, url in
            let token = try await server.login()
            _ = try await WebhookTests.pay(server, token: token, notifyURL: url)
            #expect(await receiver.waitFor(1).count == 1)
            let text = try await Self.scrape(server) { Self.sample($0, "shroff_webhook_attempts_total", #"outcome="retry""#) == 1 }
            #expect(Self.sample(text, "shroff_webhook_outbox_pending_events", "") == 1)
            #expect(Self.sample(text, "shroff_webhook_outbox_failed_events", "") == 0)
            let age = try #require(Self.sample(text, "shroff_webhook_outbox_oldest_pending_age_seconds", ""))
            #expect(age > 0 && age < 60)
        }
    }
}
