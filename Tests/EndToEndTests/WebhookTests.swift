import Crypto
import Foundation
import ShroffApp
import ShroffClient
import ShroffCore
import Testing

/// Merchant webhooks end to end: the real gateway and sandbox, a real receiving endpoint.
@Suite("Merchant webhooks")
struct WebhookTests {
    /// Seed 000's request with the notify_url pointing at the test receiver.
    static func request(notifyURL: String?, amount: String = "1", merchantOrderID: String = uniqueOrderID()) -> String {
        var body = seed000Request(merchantOrderID: merchantOrderID, amount: amount)
        body = body.replacingOccurrences(
            of: "\"https://put_your_site_here/example_url\"", with: notifyURL.map { "\"\($0)\"" } ?? "null"
        )
        return notifyURL == nil ? body.replacingOccurrences(of: ",\n\"notify_url\": null", with: "") : body
    }

    /// Fast retries so a whole schedule runs within a test: attempts at 0, 0.2, 0.4, 0.6 s.
    static let fastRetries = WebhookRetryPolicy(
        delays: [.milliseconds(200), .milliseconds(200), .milliseconds(200)], jitter: 0, maximumRetryAfter: .seconds(5)
    )

    static func withReceiver(
        _ behaviour: WebhookReceiver.Behaviour = .accept, adjust: @escaping (inout GatewayConfiguration) -> Void = { _ in },
        wapSignType: GatewayConfiguration.WAPSignTypeName = .rsa2,
        _ body: (Running, WebhookReceiver, String) async throws -> Void
    ) async throws {
        let receiver = WebhookReceiver(behaviour)
        let port = try freePort()
        try await receiver.serve(port: port) {
            try await Running.with(adjust: { configuration in
                configuration.webhookRetryPolicy = fastRetries
                configuration.allowPrivateWebhookTargets = true
                configuration.webhookPollInterval = .milliseconds(50)
                adjust(&configuration)
            }, wapSignType: wapSignType) { server in
                try await body(server, receiver, "http://127.0.0.1:\(port)/hooks")
            }
        }
    }

    static func pay(_ server: Running, token: String, notifyURL: String?, outcome: String = "success") async throws -> [String: Any] {
        let created = try await server.api("pa/payment_intents/create", token: token, request(notifyURL: notifyURL))
        let orderID = try #require(created.data["order_id"] as? String, "\(created.body)")
        _ = try await server.simulate(paymentRequestID: orderID, outcome: outcome)
        return try await server.awaitFinal(orderID: orderID, token: token).data
    }

    static func deliveries(_ server: Running, token: String, _ filter: String = "{}") async throws -> [[String: Any]] {
        let answer = try await server.api("webhooks/deliveries/list", token: token, filter)
        return answer.data["deliveries"] as? [[String: Any]] ?? []
    }

    /// Verifies with the official Standard Webhooks Python library when it is installed (`.ci/run`
    /// installs it), and always with an HMAC computed here from the specification's words.
    static func verifyIndependently(_ received: WebhookReceiver.Received, secret: String) throws {
        let id = try #require(received.headers["webhook-id"])
        let timestamp = try #require(received.headers["webhook-timestamp"])
        let signatures = try #require(received.headers["webhook-signature"]).split(separator: " ").map(String.init)
        let key = SymmetricKey(data: try #require(Data(base64Encoded: String(secret.dropFirst("whsec_".count)))))
        let expected = "v1," + Data(HMAC<SHA256>.authenticationCode(
            for: Data("\(id).\(timestamp).".utf8) + received.body, using: key
        )).base64EncodedString()
        #expect(signatures.contains(expected))

        let script = """
            import json, sys
            from standardwebhooks.webhooks import Webhook
            data = json.load(sys.stdin)
            Webhook(data["secret"]).verify(data["body"].encode(), data["headers"])
            print("verified")
            """
        let input = try JSONSerialization.data(withJSONObject: [
            "secret": secret, "body": String(decoding: received.body, as: UTF8.self), "headers": received.headers,
        ])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import standardwebhooks"]
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return }  // library not installed here
        let verify = Process()
        verify.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        verify.arguments = ["python3", "-c", script]
        let stdin = Pipe(), stdout = Pipe()
        verify.standardInput = stdin
        verify.standardOutput = stdout
        try verify.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        verify.waitUntilExit()
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(verify.terminationStatus == 0 && output.contains("verified"), "python standardwebhooks refused the signature")
    }

    @Test("a paid intent sends exactly one payment_success, signed, with seed 000's fields and values")
    func paymentSuccess() async throws {
        try await Self.withReceiver { server, receiver, url in
            let token = try await server.login()
            let intent = try await Self.pay(server, token: token, notifyURL: url)
            #expect(intent["status"] as? String == "SUCCEEDED")
            let received = await receiver.waitFor(1)
            try #require(received.count >= 1)
            // Nothing more arrives: exactly one event.
            try await Task.sleep(for: .milliseconds(500))
            let all = await receiver.received
            #expect(all.count == 1)
            let webhook = all[0]

            try Self.verifyIndependently(webhook, secret: server.credentials.webhookSecret)
            let verified = try WebhookVerifier(secret: server.credentials.webhookSecret).verify(body: webhook.body, headers: webhook.headers)
            #expect(verified.notifyType == "payment_success")
            #expect(webhook.id.hasPrefix("msg_"))

            #expect(webhook.json["notify_type"] as? String == "payment_success")
            let data = try #require(webhook.json["data"] as? [String: Any])
            #expect(Set(data.keys) == ["settle_currency", "create_time", "pay_time", "uid", "order_id", "merchant_order_id", "order_amount", "order_currency"])
            #expect((data["uid"] as? NSNumber)?.int64Value == server.credentials.uid)
            #expect(data["uid"] is NSNumber && !(data["uid"] is String))
            #expect(data["order_id"] as? String == intent["order_id"] as? String)
            #expect(data["merchant_order_id"] as? String == intent["merchant_order_id"] as? String)
            #expect(data["order_amount"] as? String == "1")
            #expect(data["order_currency"] as? String == "USD")
            #expect(data["settle_currency"] as? String == "USD")
            #expect(data["create_time"] as? String == intent["create_time"] as? String)
            #expect(data["pay_time"] as? String == intent["pay_time"] as? String)

            let listed = try await Self.deliveries(server, token: token)
            #expect(listed.count == 1)
            #expect(listed.first?["webhook_id"] as? String == webhook.id)
            #expect(listed.first?["status"] as? String == "succeeded")
            #expect((listed.first?["attempts"] as? [[String: Any]])?.first?["http_status"] as? Int == 200)
        }
    }

    @Test("a cancelled intent sends payment_cancelled")
    func paymentCancelled() async throws {
        try await Self.withReceiver { server, receiver, url in
            let token = try await server.login()
            let intent = try await Self.pay(server, token: token, notifyURL: url, outcome: "fail")
            #expect(intent["status"] as? String == "CANCELLED")
            let received = await receiver.waitFor(1)
            let data = try #require(received.first?.json["data"] as? [String: Any])
            #expect(received.first?.json["notify_type"] as? String == "payment_cancelled")
            #expect(data["order_id"] as? String == intent["order_id"] as? String)
            #expect(data["cancel_time"] is String)
        }
    }

    @Test("a receiver failing the first 2 attempts gets the event on attempt 3 with the same webhook-id")
    func retriedUntilDelivered() async throws {
        try await Self.withReceiver(.failFirst(2)) { server, receiver, url in
            let token = try await server.login()
            _ = try await Self.pay(server, token: token, notifyURL: url)
            let received = await receiver.waitFor(3)
            #expect(received.count == 3)
            #expect(Set(received.map(\.id)).count == 1)
            // Each attempt is signed afresh with its own timestamp and still verifies.
            for attempt in received {
                _ = try WebhookVerifier(secret: server.credentials.webhookSecret).verify(body: attempt.body, headers: attempt.headers)
            }
            try await Task.sleep(for: .milliseconds(300))
            let listed = try #require(try await Self.deliveries(server, token: token).first)
            #expect(listed["status"] as? String == "succeeded")
            let attempts = try #require(listed["attempts"] as? [[String: Any]])
            #expect(attempts.map { $0["http_status"] as? Int } == [500, 500, 204])
            #expect(attempts.map { $0["attempt"] as? Int } == [1, 2, 3])
            #expect(attempts[0]["error"] as? String == "receiver answered HTTP 500")
        }
    }

    @Test("a receiver that never answers 2xx ends failed with every attempt listed; resend delivers it later")
    func failedForGoodThenResent() async throws {
        try await Self.withReceiver(.alwaysFail) { server, receiver, url in
            let token = try await server.login()
            let intent = try await Self.pay(server, token: token, notifyURL: url)
            let orderID = try #require(intent["order_id"] as? String)
            _ = await receiver.waitFor(Self.fastRetries.maximumAttempts)
            try await Task.sleep(for: .milliseconds(400))
            #expect(await receiver.received.count == Self.fastRetries.maximumAttempts)
            let listed = try #require(try await Self.deliveries(server, token: token, #"{"order_id":"\#(orderID)"}"#).first)
            #expect(listed["status"] as? String == "failed")
            #expect((listed["attempts"] as? [[String: Any]])?.count == 4)
            #expect(listed["attempt_count"] as? Int == 4)
            #expect(listed["completed_at"] is String)
            #expect(listed["next_attempt_at"] == nil)
            let failedOnly = try await Self.deliveries(server, token: token, #"{"status":"failed"}"#)
            #expect(failedOnly.count == 1)

            await receiver.set(.accept)
            let webhookID = try #require(listed["webhook_id"] as? String)
            let resend = try await server.api("webhooks/deliveries/resend", token: token, #"{"webhook_id":"\#(webhookID)"}"#)
            #expect(resend.code == 0)
            let received = await receiver.waitFor(5)
            #expect(received.last?.id == webhookID)
            try await Task.sleep(for: .milliseconds(300))
            let after = try #require(try await Self.deliveries(server, token: token).first)
            #expect(after["status"] as? String == "succeeded")
            #expect((after["attempts"] as? [[String: Any]])?.count == 5)
        }
    }

    @Test("Retry-After on 503 is honoured")
    func retryAfterHonoured() async throws {
        try await Self.withReceiver(.retryAfter(seconds: 1, times: 1)) { server, receiver, url in
            let token = try await server.login()
            _ = try await Self.pay(server, token: token, notifyURL: url)
            let received = await receiver.waitFor(2)
            try #require(received.count == 2)
            #expect(received[1].at.timeIntervalSince(received[0].at) >= 0.95)
        }
    }

    @Test("without a notify_url the merchant's default notify URL is used; without either, no_endpoint")
    func defaultNotifyURL() async throws {
        try await Self.withReceiver { server, receiver, url in
            let token = try await server.login()
            let first = try await Self.pay(server, token: token, notifyURL: nil)
            try await Task.sleep(for: .milliseconds(400))
            let orderID = try #require(first["order_id"] as? String)
            let unsent = try #require(try await Self.deliveries(server, token: token, #"{"order_id":"\#(orderID)"}"#).first)
            #expect(unsent["status"] as? String == "no_endpoint")

            let update = try await server.api("webhooks/settings/update", token: token, #"{"default_notify_url":"\#(url)"}"#)
            #expect(update.data["default_notify_url"] as? String == url)
            let bad = try await server.api("webhooks/settings/update", token: token, #"{"default_notify_url":"ftp://x"}"#)
            #expect(bad.code == 40001)
            #expect(bad.message.hasPrefix("default_notify_url"))

            _ = try await Self.pay(server, token: token, notifyURL: nil)
            #expect(await receiver.waitFor(1).count == 1)
            // The earlier event can be replayed now that there is somewhere to send it.
            let webhookID = try #require(unsent["webhook_id"] as? String)
            _ = try await server.api("webhooks/deliveries/resend", token: token, #"{"webhook_id":"\#(webhookID)"}"#)
            #expect(await receiver.waitFor(2).map(\.id).contains(webhookID))
        }
    }

    @Test("after a secret rotation both signatures are sent until the grace period ends")
    func secretRotation() async throws {
        try await Self.withReceiver { server, receiver, url in
            let token = try await server.login()
            let rotated = try await server.api("webhooks/secret/rotate", token: token, #"{"grace_period_seconds":3600}"#)
            let newSecret = try #require(rotated.data["webhook_secret"] as? String)
            #expect(newSecret.hasPrefix("whsec_") && newSecret != server.credentials.webhookSecret)
            #expect(rotated.data["previous_secret_expires_at"] is String)
            _ = try await Self.pay(server, token: token, notifyURL: url)
            let webhook = try #require(await receiver.waitFor(1).first)
            #expect(webhook.headers["webhook-signature"]?.split(separator: " ").count == 2)
            _ = try WebhookVerifier(secret: newSecret).verify(body: webhook.body, headers: webhook.headers)
            _ = try WebhookVerifier(secret: server.credentials.webhookSecret).verify(body: webhook.body, headers: webhook.headers)
            try Self.verifyIndependently(webhook, secret: newSecret)

            let immediate = try await server.api("webhooks/secret/rotate", token: token, #"{"grace_period_seconds":0}"#)
            let newest = try #require(immediate.data["webhook_secret"] as? String)
            _ = try await Self.pay(server, token: token, notifyURL: url)
            let second = try #require(await receiver.waitFor(2).last)
            #expect(second.headers["webhook-signature"]?.split(separator: " ").count == 1)
            _ = try WebhookVerifier(secret: newest).verify(body: second.body, headers: second.headers)
            let bad = try await server.api("webhooks/secret/rotate", token: token, #"{"grace_period_seconds":-1}"#)
            #expect(bad.code == 40001)
        }
    }

    @Test("private targets are refused unless the operator allows them, and the refusal is recorded")
    func privateTargetsRefused() async throws {
        try await Self.withReceiver(adjust: { $0.allowPrivateWebhookTargets = false }) { server, receiver, url in
            let token = try await server.login()
            _ = try await Self.pay(server, token: token, notifyURL: url)
            try await Task.sleep(for: .milliseconds(1200))
            #expect(await receiver.received.isEmpty)
            let listed = try #require(try await Self.deliveries(server, token: token).first)
            let attempts = try #require(listed["attempts"] as? [[String: Any]])
            #expect(!attempts.isEmpty)
            #expect((attempts.first?["error"] as? String)?.contains("private") == true)
            #expect(attempts.first?["http_status"] == nil)
        }
    }

    @Test("a merchant whose endpoint never answers does not hold up another merchant's webhooks")
    func deadEndpointDoesNotStarveOtherMerchants() async throws {
        let tarpit = try await Tarpit.start()
        do {
            // Long enough that none of the tarpit's attempts times out while the test looks.
            try await Self.withReceiver(adjust: { $0.webhookTimeoutSeconds = 8 }) { server, receiver, url in
                let slowMerchant = try await server.login()
                let neighbour = try await server.login(try await server.createMerchant(name: "Neighbour"))
                // 40 paid intents whose webhooks go to the tarpit: a backlog older than the neighbour's events.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            for _ in 0..<10 { _ = try await Self.pay(server, token: slowMerchant, notifyURL: tarpit.url) }
                        }
                    }
                    try await group.waitForAll()
                }
                let paid = ContinuousClock.now
                for _ in 0..<3 { _ = try await Self.pay(server, token: neighbour, notifyURL: url) }
                let received = await receiver.waitFor(3, timeout: .seconds(4))
                #expect(received.count == 3, "the neighbour's webhooks waited behind the dead endpoint")
                #expect(ContinuousClock.now - paid < .seconds(4))
                // The dead endpoint holds no more connections than the per-endpoint cap (2).
                #expect(tarpit.accepted > 0)
                #expect(tarpit.open <= 2)
            }
        } catch {
            await tarpit.stop()
            throw error
        }
        await tarpit.stop()
    }

    @Test("deliveries/list pages with a cursor and validates its filters")
    func listPaging() async throws {
        try await Self.withReceiver { server, receiver, url in
            let token = try await server.login()
            for _ in 0..<3 { _ = try await Self.pay(server, token: token, notifyURL: url) }
            _ = await receiver.waitFor(3)
            let first = try await server.api("webhooks/deliveries/list", token: token, #"{"limit":2}"#)
            #expect((first.data["deliveries"] as? [Any])?.count == 2)
            #expect(first.data["has_more"] as? Bool == true)
            let cursor = try #require(first.data["next_cursor"] as? String)
            let second = try await server.api("webhooks/deliveries/list", token: token, #"{"limit":2,"cursor":"\#(cursor)"}"#)
            #expect((second.data["deliveries"] as? [Any])?.count == 1)
            #expect(second.data["has_more"] as? Bool == false)
            #expect(try await server.api("webhooks/deliveries/list", token: token, #"{"limit":0}"#).code == 40001)
            #expect(try await server.api("webhooks/deliveries/list", token: token, #"{"status":"lost"}"#).code == 40001)
            let badTime = try await server.api("webhooks/deliveries/list", token: token, #"{"created_from":"yesterday"}"#)
            #expect(badTime.code == 40001)
            #expect(badTime.message.hasPrefix("created_from"))
            let future = try await server.api("webhooks/deliveries/list", token: token, #"{"created_from":"2999-01-01T00:00:00+08:00"}"#)
            #expect((future.data["deliveries"] as? [Any])?.isEmpty == true)
            // Another merchant sees none of them and cannot resend them.
            let other = try await server.login(try await server.createMerchant(name: "Other"))
            #expect(try await Self.deliveries(server, token: other).isEmpty)
            let webhookID = try #require((first.data["deliveries"] as? [[String: Any]])?.first?["webhook_id"] as? String)
            #expect(try await server.api("webhooks/deliveries/resend", token: other, #"{"webhook_id":"\#(webhookID)"}"#).code == 40400)
        }
    }
}
