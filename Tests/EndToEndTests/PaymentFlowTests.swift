import Foundation
import ShroffCore
import Testing

/// The whole slice over HTTP: gateway and sandbox provider as real servers with real RSA keys.
@Suite("Payment flows end to end")
struct PaymentFlowTests {
    @Test("seed 000: cashier create → shopper pays → signed notification → query SUCCEEDED")
    func cashierPaymentSucceeds() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let merchantOrderID = uniqueOrderID()
            let created = try await server.api("pa/payment_intents/create", token: token, seed000Request(merchantOrderID: merchantOrderID))
            #expect(created.status == 200)
            #expect(created.code == 0)
            #expect(created.message == "ok")
            let data = created.data
            let orderID = try #require(data["order_id"] as? String)
            #expect(orderID.hasPrefix("C") && orderID.count <= 32)
            #expect(data["merchant_order_id"] as? String == merchantOrderID)
            #expect(data["amount"] as? String == "1")
            #expect(data["currency"] as? String == "USD")
            #expect(data["status"] as? String == "PENDING")
            #expect(TimestampFormat.parse(try #require(data["create_time"] as? String)) != nil)
            #expect((data["create_time"] as? String)?.hasSuffix("+08:00") == true)
            #expect(data["expires_at"] is String)
            let nextAction = try #require(data["next_action"] as? [String: Any])
            #expect(nextAction["type"] as? String == "redirect")
            let url = try #require(nextAction["url"] as? String)
            // The cashier page is a real page a shopper can open.
            let page = try await server.send(.GET, url)
            #expect(page.status == 200)
            #expect(page.body.contains("1.00 USD") || page.body.contains("USD"))

            let simulated = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            #expect(simulated.status == 200)
            let final = try await server.awaitFinal(orderID: orderID, token: token)
            #expect(final.data["status"] as? String == "SUCCEEDED")
            #expect(final.data["pay_time"] is String)
            #expect(final.data["payment_method"] as? String != nil)
            #expect(final.data["next_action"] == nil)
            #expect(final.data["refunded_amount"] as? String == "0")
            #expect(final.data["settle_currency"] as? String == "USD")
        }
    }

    @Test("seed 001: in-store QR create → scan and pay → query SUCCEEDED")
    func qrCodePaymentSucceeds() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let created = try await server.api("pa/payment_intents/create", token: token, seed001Request())
            #expect(created.code == 0, "\(created.body)")
            let orderID = try #require(created.data["order_id"] as? String)
            #expect(created.data["currency"] as? String == "HKD")
            let nextAction = try #require(created.data["next_action"] as? [String: Any])
            #expect(nextAction["type"] as? String == "render_qrcode")
            let code = try #require(nextAction["url"] as? String)
            #expect(try await server.send(.GET, code).status == 200)

            _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            let final = try await server.awaitFinal(orderID: orderID, token: token)
            #expect(final.data["status"] as? String == "SUCCEEDED")
            #expect(final.data["pay_time"] is String)
        }
    }

    @Test("the shopper declines: the provider's final failure cancels the intent")
    func declinedPaymentIsCancelled() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let created = try await server.api("pa/payment_intents/create", token: token, seed000Request())
            let orderID = try #require(created.data["order_id"] as? String)
            _ = try await server.simulate(paymentRequestID: orderID, outcome: "fail")
            let final = try await server.awaitFinal(orderID: orderID, token: token)
            #expect(final.data["status"] as? String == "CANCELLED")
            #expect(final.data["pay_time"] == nil)
            #expect(final.data["next_action"] == nil)
        }
    }

    @Test("magic amount .51: the wallet declines for insufficient balance → CANCELLED")
    func insufficientBalanceIsCancelled() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let created = try await server.api("pa/payment_intents/create", token: token, seed001Request(amount: "10.51"))
            let orderID = try #require(created.data["order_id"] as? String)
            _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            let final = try await server.awaitFinal(orderID: orderID, token: token)
            #expect(final.data["status"] as? String == "CANCELLED")
            #expect(final.data["failure_code"] as? String == "USER_BALANCE_NOT_ENOUGH")
        }
    }

    @Test("magic amount .54: a provider rejection is 42200 with provider_code, and the intent is CANCELLED")
    func providerRejection() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let merchantOrderID = uniqueOrderID()
            let created = try await server.api("pa/payment_intents/create", token: token, seed000Request(merchantOrderID: merchantOrderID, amount: "3.54"))
            #expect(created.status == 422)
            #expect(created.code == 42200)
            #expect(created.json["error"] as? String == "rejected")
            #expect(created.json["provider_code"] as? String == "RISK_REJECT")
            #expect(created.message.contains("RISK_REJECT"))
            #expect(created.json["data"] is NSNull)
            let query = try await server.api("pa/payment_intents/query", token: token, #"{"merchant_order_id":"\#(merchantOrderID)"}"#)
            #expect(query.data["status"] as? String == "CANCELLED")
        }
    }

    @Test("magic amount .52: an unknown provider result is 503 with Retry-After; the intent stays PENDING")
    func unknownProviderResult() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let merchantOrderID = uniqueOrderID()
            let created = try await server.api("pa/payment_intents/create", token: token, seed000Request(merchantOrderID: merchantOrderID, amount: "2.52"))
            #expect(created.status == 503)
            #expect(created.code == 50300)
            #expect(created.json["error"] as? String == "provider_unavailable")
            #expect(created.header("Retry-After") != nil)
            let query = try await server.api("pa/payment_intents/query", token: token, #"{"merchant_order_id":"\#(merchantOrderID)"}"#)
            #expect(query.data["status"] as? String == "PENDING")
            #expect(query.data["next_action"] == nil)
        }
    }

    @Test("a provider that cannot be reached is 503, never 500, and a retry is accepted")
    func unreachableProvider() async throws {
        try await Running.with(.unreachable, adjust: { $0.providerTimeoutSeconds = 2; $0.providerRetryDelays = [] }) { server in
            let token = try await server.login()
            let body = seed000Request()
            for _ in 0..<2 {
                let created = try await server.api("pa/payment_intents/create", token: token, body)
                #expect(created.status == 503)
                #expect(created.code == 50300)
                #expect(created.header("Retry-After") == "5")
            }
        }
    }

    @Test("the default set-up (sandbox embedded on the gateway's port) pays end to end")
    func embeddedSandbox() async throws {
        try await Running.with(.embedded) { server in
            let token = try await server.login()
            let created = try await server.api("pa/payment_intents/create", token: token, seed000Request())
            let orderID = try #require(created.data["order_id"] as? String)
            let url = try #require((created.data["next_action"] as? [String: Any])?["url"] as? String)
            #expect(url.hasPrefix(server.gatewayURL))
            #expect(try await server.send(.GET, url).status == 200)
            _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            #expect(try await server.awaitFinal(orderID: orderID, token: token).data["status"] as? String == "SUCCEEDED")
        }
    }
}
