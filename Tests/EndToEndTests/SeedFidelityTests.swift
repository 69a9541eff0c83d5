import Foundation
import ShroffApp
import ShroffConnectors
import ShroffCore
import ShroffSandbox
import Testing
import _CryptoExtras

/// Seed fidelity and provider-protocol completeness (issue 15), against the real server and sandbox.
@Suite("Seed fidelity")
struct SeedFidelityTests {
    @Test("an empty order_id or merchant_order_id counts as absent in query, cancel and refund lookups")
    func emptyStringsInLookups() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let merchantOrderID = uniqueOrderID()
            let created = try await server.api("pa/payment_intents/create", token: token, seed000Request(merchantOrderID: merchantOrderID))
            let orderID = try #require(created.data["order_id"] as? String)
            let byMerchantID = try await server.api(
                "pa/payment_intents/query", token: token, #"{"order_id":"","merchant_order_id":"\#(merchantOrderID)"}"#
            )
            #expect(byMerchantID.code == 0)
            #expect(byMerchantID.data["order_id"] as? String == orderID)
            let byOrderID = try await server.api(
                "pa/payment_intents/query", token: token, #"{"order_id":"\#(orderID)","merchant_order_id":""}"#
            )
            #expect(byOrderID.code == 0)
            #expect(byOrderID.data["merchant_order_id"] as? String == merchantOrderID)
            let neither = try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"","merchant_order_id":""}"#)
            #expect(neither.code == 40001)
            let cancelled = try await server.api(
                "pa/payment_intents/cancel", token: token, #"{"order_id":"","merchant_order_id":"\#(merchantOrderID)"}"#
            )
            #expect(cancelled.data["status"] as? String == "CANCELLED")

            let paid = try await LifecycleTests.paidIntent(server, token: token)
            let merchantRefundID = uniqueOrderID()
            let refund = try await server.api("pa/refunds/create", token: token, """
                {"order_id":"\(paid)","merchant_order_id":"","merchant_refund_id":"\(merchantRefundID)","amount":"1"}
                """)
            #expect(refund.code == 0, "\(refund.body)")
            let refundQuery = try await server.api(
                "pa/refunds/query", token: token, #"{"refund_id":"","merchant_refund_id":"\#(merchantRefundID)"}"#
            )
            #expect(refundQuery.data["refund_id"] as? String == refund.data["refund_id"] as? String)
        }
    }

    @Test("wallet minimums apply in any order currency (converted at the provider's quote), refunds included")
    func walletMinimums() async throws {
        try await Running.with { server in
            let token = try await server.login()
            func tile(_ wallet: String, currency: String, amount: String) -> String {
                """
                {"amount":"\(amount)","currency":"\(currency)","merchant_order_id":"\(uniqueOrderID())","description":"Tea",
                 "payment_method":{"type":"aplus","aplus":{"flow":"cashier","presentment_mode":"TILE","payment_method":"\(wallet)"}}}
                """
            }
            // In another currency the provider converts at its quote (the sandbox: 36 THB to the USD).
            let converted = try await server.api("pa/payment_intents/create", token: token, tile("TRUEMONEY", currency: "USD", amount: "0.02"))
            #expect(converted.code == 42200)
            #expect(converted.json["provider_code"] as? String == "PAYMENT_AMOUNT_EXCEED_LIMIT")
            let enough = try await server.api("pa/payment_intents/create", token: token, tile("TRUEMONEY", currency: "USD", amount: "0.03"))
            #expect(enough.code == 0, "\(enough.body)")
            let unquoted = try await server.api("pa/payment_intents/create", token: token, tile("TRUEMONEY", currency: "ZAR", amount: "100"))
            #expect(unquoted.json["provider_code"] as? String == "CURRENCY_NOT_SUPPORT")

            let created = try await server.api("pa/payment_intents/create", token: token, tile("TRUEMONEY", currency: "THB", amount: "10"))
            let orderID = try #require(created.data["order_id"] as? String, "\(created.body)")
            _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            let paid = try await server.awaitFinal(orderID: orderID, token: token)
            #expect(paid.data["status"] as? String == "SUCCEEDED")
            #expect(paid.data["payment_method"] as? String == "TRUEMONEY")
            let under = try await server.api("pa/refunds/create", token: token, """
                {"order_id":"\(orderID)","merchant_refund_id":"\(uniqueOrderID())","amount":"0.99"}
                """)
            #expect(under.code == 42200)
            #expect(under.message == "amount: TRUEMONEY refunds at least 1 THB")
            let atMinimum = try await server.api("pa/refunds/create", token: token, """
                {"order_id":"\(orderID)","merchant_refund_id":"\(uniqueOrderID())","amount":"1"}
                """)
            #expect(atMinimum.code == 0, "\(atMinimum.body)")
        }
    }

    @Test("settle_currency: the merchant's default when none is named, the same in the query and the webhook")
    func settleCurrency() async throws {
        try await WebhookTests.withReceiver { server, receiver, url in
            let merchant = try await server.createMerchant(name: "SGD shop", settlementCurrency: "SGD")
            let token = try await server.login(merchant)
            let created = try await server.api(
                "pa/payment_intents/create", token: token,
                seed001Request().replacingOccurrences(of: "https://put_your_site_here/example_url", with: url)
            )
            let orderID = try #require(created.data["order_id"] as? String, "\(created.body)")
            #expect(created.data["settle_currency"] as? String == "SGD")
            _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            let paid = try await server.awaitFinal(orderID: orderID, token: token)
            #expect(paid.data["status"] as? String == "SUCCEEDED")
            let delivered = await receiver.waitFor(1)
            let event = try #require(delivered.first?.json["data"] as? [String: Any])
            #expect(event["settle_currency"] as? String == paid.data["settle_currency"] as? String)
            #expect(event["settle_currency"] as? String != nil)

            // A merchant created without one settles in HKD.
            let standard = try await server.login()
            let other = try await server.api("pa/payment_intents/create", token: standard, seed000Request())
            #expect(other.data["settle_currency"] as? String == "HKD")
        }
    }

    @Test("the provider's forms reach the merchant: a POST redirect with its fields, a barcode with its display hint")
    func actionForms() async throws {
        try await Running.with { server in
            let token = try await server.login()
            // Magic amount …55: the cashier's redirect is a POST form.
            let posted = try await server.api("pa/payment_intents/create", token: token, seed000Request(amount: "10.55"))
            let action = try #require(posted.data["next_action"] as? [String: Any], "\(posted.body)")
            #expect(action["type"] as? String == "redirect")
            #expect(action["method"] as? String == "POST")
            let fields = try #require(action["form_fields"] as? [String: String])
            #expect(fields["channel"] == "sandbox")
            #expect(fields["paymentId"] != nil)
            let page = try await server.send(.POST, try #require(action["url"] as? String), headers: [
                ("Content-Type", "application/x-www-form-urlencoded"),
            ], body: fields.map { "\($0.key)=\($0.value)" }.joined(separator: "&"))
            #expect(page.status == 200)
            // Stored with the intent: the query answers the same action.
            let orderID = try #require(posted.data["order_id"] as? String)
            let queried = try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"\#(orderID)"}"#)
            #expect((queried.data["next_action"] as? [String: Any])?["form_fields"] as? [String: String] == fields)

            // Magic amount …56: the order code is a barcode only.
            let barcode = try await server.api("pa/payment_intents/create", token: token, seed001Request(amount: "10.56"))
            let code = try #require(barcode.data["next_action"] as? [String: Any], "\(barcode.body)")
            #expect(code["type"] as? String == "render_qrcode")
            #expect(code["code_type"] as? String == "BARCODE")
            #expect(code["display_type"] as? String == "SMALLIMAGE")
            // A plain one carries no method or fields.
            let plain = try await server.api("pa/payment_intents/create", token: token, seed000Request())
            let plainAction = try #require(plain.data["next_action"] as? [String: Any])
            #expect(plainAction["method"] == nil && plainAction["form_fields"] == nil)
        }
    }

    @Test("seed 001's wallet choice goes downstream: an ALIPAYCN code can be paid with Alipay (mainland) only")
    func walletChoiceHonoured() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let created = try await server.api("pa/payment_intents/create", token: token, seed001Request())
            let orderID = try #require(created.data["order_id"] as? String, "\(created.body)")
            let downstream = try await server.send(.GET, "\(server.sandboxURL)/sandbox/v1/payments/\(orderID)")
            #expect(downstream.json["requested_wallet"] as? String == "ALIPAY_CN", "\(downstream.body)")
            let codePage = try await server.send(.GET, try #require((created.data["next_action"] as? [String: Any])?["url"] as? String))
            #expect(codePage.body.contains(#"value="ALIPAY_CN""#))
            #expect(!codePage.body.contains(#"value="ALIPAY_HK""#))
            let other = try await server.send(
                .POST, "\(server.sandboxURL)/sandbox/v1/payments/simulate", headers: [("Content-Type", "application/json")],
                body: #"{"payment_request_id":"\#(orderID)","outcome":"success","wallet":"ALIPAY_HK"}"#
            )
            #expect(other.status == 409)
            #expect(try await NotificationTests.status(server, orderID: orderID, token: token) == "PENDING")
            _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            let paid = try await server.awaitFinal(orderID: orderID, token: token)
            #expect(paid.data["status"] as? String == "SUCCEEDED")
            // Wallets are answered in their AMS spelling.
            #expect(paid.data["payment_method"] as? String == "ALIPAY_CN")
        }
    }

    @Test("PAYMENT_PENDING and PAYMENT_RESULT with status U are acknowledged and change nothing")
    func pendingNotificationsAcknowledged() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let orderID = try await NotificationTests.pendingIntent(server, token: token)
            let paymentID = try await NotificationTests.paymentID(of: orderID, server)
            let pending = NotificationTests.body(orderID: orderID, paymentID: paymentID, status: "U", code: "PAYMENT_IN_PROCESS")
                .replacingOccurrences(of: "PAYMENT_RESULT", with: "PAYMENT_PENDING")
            #expect(try await NotificationTests.notify(server, body: pending).body == NotificationTests.acknowledgement)
            let unknown = NotificationTests.body(orderID: orderID, paymentID: paymentID, status: "U", code: "PAYMENT_IN_PROCESS")
            #expect(try await NotificationTests.notify(server, body: unknown).body == NotificationTests.acknowledgement)
            #expect(try await NotificationTests.status(server, orderID: orderID, token: token) == "PENDING")
            // The final result still applies afterwards.
            let success = NotificationTests.body(orderID: orderID, paymentID: paymentID)
            #expect(try await NotificationTests.notify(server, body: success).body == NotificationTests.acknowledgement)
            #expect(try await NotificationTests.status(server, orderID: orderID, token: token) == "SUCCEEDED")
        }
    }

    @Test("a provider refusal of the gateway's own keys is a 50000 with an alert, and the same create succeeds once fixed")
    func integrationFaultIsRetryable() async throws {
        let folder = temporaryFolder()
        let merchantOrderID = uniqueOrderID()
        let body = seed000Request(merchantOrderID: merchantOrderID)
        var credentials: MerchantCredentials?
        var orderID: String?
        let strangerKey = try _RSA.Signing.PrivateKey(keySize: .bits2048).pkcs8PEMRepresentation
        try await Running.with(dataDirectory: folder, adjust: { configuration in
            guard case .remote(var remote) = configuration.provider else { return }
            remote.merchantPrivateKey = strangerKey
            configuration.provider = .remote(remote)
        }) { server in
            credentials = server.credentials
            let token = try await server.login()
            let refused = try await server.api("pa/payment_intents/create", token: token, body)
            #expect(refused.status == 500)
            #expect(refused.code == 50000)
            #expect(refused.json["provider_code"] as? String == "INVALID_SIGNATURE")
            #expect(refused.message.hasPrefix("provider:"))
            #expect(!refused.body.contains(strangerKey.split(separator: "\n")[1]))
            let query = try await server.api("pa/payment_intents/query", token: token, #"{"merchant_order_id":"\#(merchantOrderID)"}"#)
            #expect(query.data["status"] as? String == "PENDING")
            orderID = query.data["order_id"] as? String
            let metrics = try await server.send(.GET, server.gatewayURL + "/metrics").body
            #expect(MetricsTests.sample(metrics, "shroff_operator_alerts_total", #"alert="provider_integration_fault""#) == 1)
        }
        // The operator fixes the key; the merchant retries the very same create.
        let merchant: MerchantCredentials = try #require(credentials)
        try await Running.with(dataDirectory: folder) { server in
            let token = try await server.login(merchant)
            let retried = try await server.api("pa/payment_intents/create", token: token, body)
            #expect(retried.code == 0, "\(retried.body)")
            #expect(retried.data["order_id"] as? String == orderID)
            #expect(retried.data["status"] as? String == "PENDING")
            #expect((retried.data["next_action"] as? [String: Any])?["url"] != nil)
        }
        await TestPostgres.dropDatabase(forDataDirectory: folder)
    }
}
