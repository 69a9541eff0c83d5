import AsyncHTTPClient
import Crypto
import Foundation
import ShroffApp
import ShroffClient
import ShroffCore
import ShroffSandbox
import Testing

/// Seed 003: AlipayHK H5 through the Alipay Global WAP gateway (the sandbox's `/gateway.do`), for
/// both sign types.
@Suite("AlipayHK mobile_web (WAP gateway)")
struct MobileWebTests {
    /// Seed 003's example with the wallet object under `alipayhk`, as its table says.
    static func seed003Request(merchantOrderID: String = uniqueOrderID(), amount: String = "1", returnURL: String? = nil) -> String {
        """
        {
        "amount": "\(amount)",
        "currency": "HKD",
        "merchant_order_id": "\(merchantOrderID)",
        "payment_method": {
        "type": "alipayhk",
        "alipayhk": {
        "flow": "mobile_web",
        "payment_method": "ALIPAYCN"
        }
        },
        "description": "App Payment",
        \(returnURL.map { "\"return_url\": \"\($0)\"," } ?? "")
        "notify_url": "https://put_your_site_here/example_url"
        }
        """
    }

    /// The query parameters of a URL, decoded.
    static func parameters(_ url: String) throws -> [String: String] {
        let components = try #require(URLComponents(string: url))
        return Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
    }

    /// The protocol's signing rule, computed here without the project's signer.
    static func signedContent(_ parameters: [String: String]) -> String {
        parameters.filter { !["sign", "sign_type"].contains($0.key) && !$0.value.isEmpty }
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    }

    /// Verifies with tools outside the project: python's hashlib for MD5, openssl for RSA2.
    static func verifyIndependently(_ parameters: [String: String], signType: String, keys: SandboxKeyring) throws -> Bool {
        let content = signedContent(parameters)
        let folder = temporaryFolder()
        try Data(content.utf8).write(to: URL(fileURLWithPath: folder + "/content"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        if signType == "MD5" {
            try Data(keys.wapMD5Key.utf8).write(to: URL(fileURLWithPath: folder + "/key"))
            process.arguments = ["python3", "-c", """
                import hashlib, sys
                content = open(sys.argv[1], 'rb').read() + open(sys.argv[2], 'rb').read()
                sys.exit(0 if hashlib.md5(content).hexdigest() == sys.argv[3] else 1)
                """, folder + "/content", folder + "/key", parameters["sign"] ?? ""]
        } else {
            try Data(keys.gatewayPublicKeyPEM.utf8).write(to: URL(fileURLWithPath: folder + "/public.pem"))
            try Data(base64Encoded: parameters["sign"] ?? "")?.write(to: URL(fileURLWithPath: folder + "/signature"))
            process.arguments = ["openssl", "dgst", "-sha256", "-verify", folder + "/public.pem", "-signature", folder + "/signature", folder + "/content"]
        }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    @Test("seed 003 answers a redirect to a correctly signed gateway.do URL, then pays, notifies, webhooks and refunds", arguments: ["MD5", "RSA2"])
    func fullPath(signType: String) async throws {
        let name = GatewayConfiguration.WAPSignTypeName(rawValue: signType)!
        try await WebhookTests.withReceiver(adjust: { _ in }, wapSignType: name) { server, receiver, url in
            let token = try await server.login()
            var body = Self.seed003Request(returnURL: "https://m.shop.example.com/orders/1")
            body = body.replacingOccurrences(of: "https://put_your_site_here/example_url", with: url)
            let created = try await server.api("pa/payment_intents/create", token: token, body)
            #expect(created.code == 0, "\(created.body)")
            let orderID = try #require(created.data["order_id"] as? String)
            let nextAction = try #require(created.data["next_action"] as? [String: Any])
            #expect(nextAction["type"] as? String == "redirect")
            let checkoutLink = try #require(nextAction["url"] as? String)
            #expect(checkoutLink.hasPrefix(server.gatewayURL + "/checkout/h5/\(orderID)?sig="))
            let opened = try await Self.openCheckout(checkoutLink)
            #expect(opened.status == 303)
            let redirect = try #require(opened.location)
            #expect(redirect.hasPrefix(server.sandboxURL + "/gateway.do?"))
            let parameters = try Self.parameters(redirect)
            #expect(parameters["service"] == "create_forex_trade_wap")
            #expect(parameters["out_trade_no"] == orderID)
            #expect(parameters["total_fee"] == "1.00")
            #expect(parameters["currency"] == "HKD")
            #expect(parameters["payment_inst"] == "ALIPAYCN")
            #expect(parameters["product_code"] == "NEW_WAP_OVERSEAS_SELLER")
            #expect(parameters["return_url"] == "https://m.shop.example.com/orders/1")
            #expect(parameters["sign_type"] == signType)
            #expect(try Self.verifyIndependently(parameters, signType: signType, keys: server.keys))
            var tampered = parameters
            tampered["total_fee"] = "0.01"
            #expect(try !Self.verifyIndependently(tampered, signType: signType, keys: server.keys))

            let page = try await server.send(.GET, redirect)
            #expect(page.status == 200)
            #expect(page.body.contains("1.00"))

            let paid = try await server.send(
                .POST, "\(server.sandboxURL)/sandbox/v1/payments/simulate", headers: [("Content-Type", "application/json")],
                body: #"{"out_trade_no":"\#(orderID)","outcome":"success"}"#
            )
            #expect(paid.status == 200, "\(paid.body)")
            let final = try await server.awaitFinal(orderID: orderID, token: token)
            #expect(final.data["status"] as? String == "SUCCEEDED")
            let webhook = try #require(await receiver.waitFor(1).first)
            #expect(webhook.json["notify_type"] as? String == "payment_success")
            _ = try WebhookVerifier(secret: server.credentials.webhookSecret).verify(body: webhook.body, headers: webhook.headers)

            let refund = try await server.api("pa/refunds/create", token: token, #"{"order_id":"\#(orderID)","merchant_refund_id":"\#(uniqueOrderID())","amount":"0.4"}"#)
            #expect(refund.code == 0, "\(refund.body)")
            #expect(refund.data["status"] as? String == "SUCCEEDED")
            #expect(try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"\#(orderID)"}"#).data["refunded_amount"] as? String == "0.4")
        }
    }

    /// Follows a checkout link as a browser's first request would, without following its redirect.
    static func openCheckout(_ url: String) async throws -> (status: Int, location: String?, body: String) {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
            let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
            try await client.shutdown()
            return (Int(response.status.code), response.headers.first(name: "location"), body)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test("a cancelled H5 intent's checkout link is refused (410, a page, no redirect) and no trade is opened at the provider")
    func cancelledLinkIsRefused() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let created = try await server.api("pa/payment_intents/create", token: token, Self.seed003Request())
            let orderID = try #require(created.data["order_id"] as? String, "\(created.body)")
            let link = try #require((created.data["next_action"] as? [String: Any])?["url"] as? String)
            let cancelled = try await server.api("pa/payment_intents/cancel", token: token, #"{"order_id":"\#(orderID)"}"#)
            #expect(cancelled.data["status"] as? String == "CANCELLED", "\(cancelled.body)")

            let opened = try await Self.openCheckout(link)
            #expect(opened.status == 410)
            #expect(opened.location == nil)
            #expect(opened.body.contains("no longer available"))
            let trade = try await server.send(.GET, "\(server.sandboxURL)/sandbox/v1/wap/trades/\(orderID)")
            #expect(trade.status == 404, "\(trade.body)")

            // A link with another signature is not one of the gateway's.
            let forged = try await Self.openCheckout(link.replacingOccurrences(of: "sig=", with: "sig=0"))
            #expect(forged.status == 404)
        }
    }

    @Test("the redirect's timeout_rule never outlives the intent; too little time left is refused", arguments: [(3700, "1h"), (1000, "15m"), (200, nil)] as [(Int, String?)])
    func timeoutRuleWithinExpiry(expireInSeconds: Int, rule: String?) async throws {
        try await Running.with { server in
            let token = try await server.login()
            let body = Self.seed003Request().replacingOccurrences(of: "\"description\"", with: "\"expire_in_seconds\": \(expireInSeconds), \"description\"")
            let created = try await server.api("pa/payment_intents/create", token: token, body)
            let link = try #require((created.data["next_action"] as? [String: Any])?["url"] as? String, "\(created.body)")
            let rfc3339 = ISO8601DateFormatter()
            rfc3339.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let expiresAt = try #require((created.data["expires_at"] as? String).flatMap(rfc3339.date(from:)))
            let issued = Date()
            let opened = try await Self.openCheckout(link)
            guard let rule else {
                #expect(opened.status == 410)
                return
            }
            #expect(opened.status == 303)
            let parameters = try Self.parameters(try #require(opened.location))
            #expect(parameters["timeout_rule"] == rule)
            let minutes = ["1h": 60, "15m": 15][rule] ?? 0
            #expect(issued.addingTimeInterval(TimeInterval(minutes * 60)) <= expiresAt)
            // The trade the shopper opens with it closes before the intent expires.
            #expect(try await server.send(.GET, try #require(opened.location)).status == 200)
            #expect(try await Self.sandboxTrade(server, parameters["out_trade_no"] ?? "")["timeout_rule"] as? String == rule)
        }
    }

    @Test("a WAP URL issued before the cancel and paid afterwards is found, refunded in full at the provider, alerted and webhooked", arguments: [false, true])
    func paidAfterCancelIsRefunded(notificationLost: Bool) async throws {
        try await WebhookTests.withReceiver(adjust: LifecycleTests.fast) { server, receiver, url in
            let token = try await server.login()
            let body = Self.seed003Request(amount: "2").replacingOccurrences(of: "https://put_your_site_here/example_url", with: url)
            let created = try await server.api("pa/payment_intents/create", token: token, body)
            let orderID = try #require(created.data["order_id"] as? String, "\(created.body)")
            let link = try #require((created.data["next_action"] as? [String: Any])?["url"] as? String)
            // The shopper's browser gets the WAP URL but has not reached the provider yet.
            let wapURL = try #require(try await Self.openCheckout(link).location)
            let cancelled = try await server.api("pa/payment_intents/cancel", token: token, #"{"order_id":"\#(orderID)"}"#)
            #expect(cancelled.data["status"] as? String == "CANCELLED", "\(cancelled.body)")
            #expect(try await Self.openCheckout(link).status == 410)

            if notificationLost {
                try await LifecycleTests.control(server, #"{"operation":"trade_status_sync","fault":"suppress","count":1}"#)
            }
            #expect(try await server.send(.GET, wapURL).status == 200)
            let paid = try await server.send(
                .POST, "\(server.sandboxURL)/sandbox/v1/payments/simulate", headers: [("Content-Type", "application/json")],
                body: #"{"out_trade_no":"\#(orderID)","outcome":"success"}"#
            )
            #expect(paid.status == 200, "\(paid.body)")

            let refundQuery = #"{"merchant_refund_id":"auto:\#(orderID)"}"#
            let deadline = ContinuousClock.now + .seconds(20)
            var refund = try await server.api("pa/refunds/query", token: token, refundQuery)
            while refund.data["status"] as? String != "SUCCEEDED", ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                refund = try await server.api("pa/refunds/query", token: token, refundQuery)
            }
            #expect(refund.data["status"] as? String == "SUCCEEDED", "\(refund.body)")
            #expect(refund.data["amount"] as? String == "2")
            #expect(refund.data["reason"] as? String == "PAID_AFTER_CANCEL")

            let intent = try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"\#(orderID)"}"#)
            #expect(intent.data["status"] as? String == "CANCELLED")
            #expect(intent.data["paid_after_cancel"] as? Bool == true)
            #expect(intent.data["refunded_amount"] as? String == "2")

            let trade = try await Self.sandboxTrade(server, orderID)
            #expect(trade["status"] as? String == "TRADE_FINISHED")
            #expect((trade["refunds"] as? [Any])?.count == 1)
            #expect(trade["refunded_amount"] as? String == "2.00")
            if notificationLost { #expect(trade["notification_attempts"] as? Int == 0) }

            let metrics = try await server.send(.GET, "\(server.gatewayURL)/metrics").body
            #expect(MetricsTests.sample(metrics, "shroff_operator_alerts_total", #"alert="paid_after_cancel""#) == 1)
            #expect(MetricsTests.sample(metrics, "shroff_operator_alerts_total", #"alert="payment_conflict""#) == 0)

            let webhooks = await receiver.waitFor(2)
            #expect(webhooks.map { $0.json["notify_type"] as? String } == ["payment_cancelled", "refund_success"])
            let refunded = try #require(webhooks.last?.json["data"] as? [String: Any])
            #expect(refunded["merchant_refund_id"] as? String == "auto:\(orderID)")
            #expect(refunded["refund_amount"] as? String == "2")
            _ = try WebhookVerifier(secret: server.credentials.webhookSecret).verify(body: try #require(webhooks.last).body, headers: try #require(webhooks.last).headers)
        }
    }

    @Test("a tampered WAP notification (amount or status changed after signing) is refused and changes nothing")
    func tamperedNotification() async throws {
        try await WebhookTests.withReceiver(adjust: { _ in }, wapSignType: .md5) { server, _, _ in
            let token = try await server.login()
            let created = try await server.api("pa/payment_intents/create", token: token, Self.seed003Request())
            let orderID = try #require(created.data["order_id"] as? String)
            var form: [String: String] = [
                "notify_id": "n1", "notify_type": "trade_status_sync", "notify_time": "2026-11-22 10:00:00", "out_trade_no": orderID,
                "trade_no": "2026112200001", "total_fee": "1.00", "currency": "HKD", "trade_status": "TRADE_FINISHED",
            ]
            let content = Self.signedContent(form)
            form["sign"] = Insecure.MD5.hash(data: Data((content + server.keys.wapMD5Key).utf8)).map { String(format: "%02x", $0) }.joined()
            form["sign_type"] = "MD5"
            for (key, value) in [("total_fee", "0.01"), ("trade_status", "TRADE_CLOSED")] {
                var tampered = form
                tampered[key] = value
                let body = tampered.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.value)" }.joined(separator: "&")
                let answer = try await server.send(
                    .POST, "\(server.gatewayURL)/provider/wap/notify", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body
                )
                #expect(answer.body != "success")
            }
            let query = try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"\#(orderID)"}"#)
            #expect(query.data["status"] as? String == "PENDING")
        }
    }

    @Test("seed 003's own example, nesting the wallet under `wechat`, is refused with a clear error")
    func wechatNesting() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let body = Self.seed003Request().replacingOccurrences(of: "\"alipayhk\": {", with: "\"wechat\": {")
            let answer = try await server.api("pa/payment_intents/create", token: token, body)
            #expect(answer.code == 40001)
            #expect(answer.message.contains("payment_method.alipayhk"))
            #expect(answer.message.contains("wechat"))
        }
    }

    @Test("a return_url outside the merchant's H5 domain is 42200")
    func returnURLDomain() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let answer = try await server.api("pa/payment_intents/create", token: token, Self.seed003Request(returnURL: "https://evil.example.org/x"))
            #expect(answer.code == 42200)
            #expect(answer.message.hasPrefix("return_url"))
        }
    }

    // MARK: Fault injection on the WAP protocol

    static func sandboxTrade(_ server: Running, _ outTradeNo: String) async throws -> [String: Any] {
        let answer = try await server.send(.GET, "\(server.sandboxURL)/sandbox/v1/wap/trades/\(outTradeNo)")
        return try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
    }

    static func armedFaults(_ server: Running) async throws -> [String: Any] {
        let answer = try await server.send(.GET, "\(server.sandboxURL)/sandbox/v1/control")
        return (try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])?["faults"] as? [String: Any] ?? [:]
    }

    /// Creates a seed 003 intent, opens its wallet page (the trade exists at the provider only once
    /// the shopper's browser gets there) and pays it. Returns the order id.
    static func openAndPay(_ server: Running, token: String, _ body: String = seed003Request(amount: "2")) async throws -> String {
        let created = try await server.api("pa/payment_intents/create", token: token, body)
        let orderID = try #require(created.data["order_id"] as? String, "\(created.body)")
        let redirect = try #require((created.data["next_action"] as? [String: Any])?["url"] as? String)
        #expect(try await server.send(.GET, redirect).status == 200)
        let paid = try await server.send(
            .POST, "\(server.sandboxURL)/sandbox/v1/payments/simulate", headers: [("Content-Type", "application/json")],
            body: #"{"out_trade_no":"\#(orderID)","outcome":"success"}"#
        )
        #expect(paid.status == 200, "\(paid.body)")
        return orderID
    }

    /// Pays a seed 003 intent through the sandbox and waits until the gateway knows.
    static func paidIntent(_ server: Running, token: String) async throws -> String {
        let orderID = try await openAndPay(server, token: token)
        #expect(try await server.awaitFinal(orderID: orderID, token: token).data["status"] as? String == "SUCCEEDED")
        return orderID
    }

    @Test("a lost trade_status_sync is settled by single_trade_query, through the provider's HTTP 500s")
    func lostNotificationIsReconciled() async throws {
        try await Running.with(adjust: LifecycleTests.fast) { server in
            let token = try await server.login()
            try await LifecycleTests.control(server, #"{"operation":"trade_status_sync","fault":"suppress","count":1}"#)
            try await LifecycleTests.control(server, #"{"operation":"single_trade_query","fault":"http_500","count":2}"#)
            let orderID = try await Self.paidIntent(server, token: token)
            // No notification was ever posted: the gateway found the payment by asking, after two 500s.
            #expect(try await Self.sandboxTrade(server, orderID)["notification_attempts"] as? Int == 0)
            #expect(try await Self.armedFaults(server).isEmpty)
        }
    }

    @Test("a forex_refund answered SYSTEM_ERROR stays PROCESSING (50300, not FAILED) and is completed once by sending it again")
    func undecidedRefundIsSentAgain() async throws {
        try await Running.with(adjust: LifecycleTests.fast) { server in
            let token = try await server.login()
            let orderID = try await Self.paidIntent(server, token: token)
            try await LifecycleTests.control(server, #"{"operation":"forex_refund","fault":"unknown_result","count":1}"#)
            let refundID = uniqueOrderID()
            let refund = try await server.api("pa/refunds/create", token: token, #"{"order_id":"\#(orderID)","merchant_refund_id":"\#(refundID)","amount":"0.5"}"#)
            #expect(refund.code == 50300, "\(refund.body)")
            let deadline = ContinuousClock.now + .seconds(15)
            var status: String?
            repeat {
                try await Task.sleep(for: .milliseconds(100))
                status = try await server.api("pa/refunds/query", token: token, #"{"merchant_refund_id":"\#(refundID)"}"#).data["status"] as? String
            } while status == "PROCESSING" && ContinuousClock.now < deadline
            #expect(status == "SUCCEEDED")
            let trade = try await Self.sandboxTrade(server, orderID)
            #expect((trade["refunds"] as? [Any])?.count == 1)
            #expect(trade["refunded_amount"] as? String == "0.50")
            #expect(try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"\#(orderID)"}"#).data["refunded_amount"] as? String == "0.5")
        }
    }

    @Test("a notification held back by the sandbox arrives after a later one: both intents still end SUCCEEDED, webhooks in the order learnt")
    func delayedNotificationArrivesOutOfOrder() async throws {
        // Reconciliation waits 30 s, so only the held-back notification can make the first intent SUCCEEDED.
        let slowChecks: (inout GatewayConfiguration) -> Void = { configuration in
            configuration.reconciliation = ReconciliationSchedule(first: .seconds(30), steps: [(1000, .seconds(30))], lease: .seconds(5))
        }
        try await WebhookTests.withReceiver(adjust: slowChecks) { server, receiver, url in
            let token = try await server.login()
            try await LifecycleTests.control(server, #"{"operation":"trade_status_sync","fault":"latency","latency_ms":3000,"count":1}"#)
            var orderIDs: [String] = []
            for _ in 0..<2 {
                let body = Self.seed003Request().replacingOccurrences(of: "https://put_your_site_here/example_url", with: url)
                orderIDs.append(try await Self.openAndPay(server, token: token, body))
            }
            let webhooks = await receiver.waitFor(2)
            let order = webhooks.compactMap { ($0.json["data"] as? [String: Any])?["order_id"] as? String }
            #expect(order == [orderIDs[1], orderIDs[0]])
            for orderID in orderIDs {
                #expect(try await server.awaitFinal(orderID: orderID, token: token).data["status"] as? String == "SUCCEEDED")
            }
        }
    }

    @Test("the control endpoint refuses a fault that means nothing for the operation, naming the ones that do")
    func controlRefusesMeaninglessFaults() async throws {
        try await Running.with { server in
            for (operation, fault, allowed) in [
                ("pay", "suppress", "latency, http_500, connection_reset, unknown_result"),
                ("trade_status_sync", "http_500", "latency, suppress, duplicate"),
            ] {
                let answer = try await server.send(
                    .POST, "\(server.sandboxURL)/sandbox/v1/control", headers: [("Content-Type", "application/json")],
                    body: #"{"operation":"\#(operation)","fault":"\#(fault)"}"#
                )
                #expect(answer.status == 400)
                #expect(answer.body.contains("fault: for \(operation) one of \(allowed)"), "\(answer.body)")
            }
            #expect(try await Self.armedFaults(server).isEmpty)
        }
    }
}
