import Foundation
import ShroffCore
import Testing

/// The webhooks the gateway really sends, checked against the `webhooks` section of the OpenAPI
/// document it serves.
@Suite("Webhook deliveries against the OpenAPI document")
struct WebhookSchemaTests {
    static func createIntent(_ server: Running, token: String, notifyURL: String, amount: String) async throws -> String {
        let created = try await server.api("pa/payment_intents/create", token: token, WebhookTests.request(notifyURL: notifyURL, amount: amount))
        return try #require(created.data["order_id"] as? String, "\(created.body)")
    }

    @Test("payment_success, payment_cancelled (merchant cancel and provider refusal), refund_success and refund_failed as delivered match their webhooks entry, body and headers")
    func deliveriesMatchTheDocument() async throws {
        try await WebhookTests.withReceiver { server, receiver, url in
            let served = try await server.send(.GET, "\(server.gatewayURL)/mch-api/openapi.json")
            let validator = OpenAPISchemaValidator(document: try JSONDecoder().decode(JSONValue.self, from: Data(served.body.utf8)))
            let token = try await server.login()

            // Paid, then refunded twice: 0.4 succeeds, 0.61 (the sandbox's magic …61) fails later.
            let paid = try await Self.createIntent(server, token: token, notifyURL: url, amount: "10")
            _ = try await server.simulate(paymentRequestID: paid, outcome: "success")
            #expect(try await server.awaitFinal(orderID: paid, token: token).data["status"] as? String == "SUCCEEDED")
            for (amount, status) in [("0.4", "SUCCEEDED"), ("0.61", "FAILED")] {
                let refund = try await LifecycleTests.refund(server, token: token, orderID: paid, amount: amount)
                let refundID = try #require(refund.data["refund_id"] as? String, "\(refund.body)")
                #expect(try await LifecycleTests.awaitRefund(server, token: token, refundID: refundID)["status"] as? String == status)
            }
            // Cancelled by the merchant, and refused by the provider.
            let cancelled = try await Self.createIntent(server, token: token, notifyURL: url, amount: "2")
            let cancel = try await server.api("pa/payment_intents/cancel", token: token, #"{"order_id":"\#(cancelled)"}"#)
            #expect(cancel.data["status"] as? String == "CANCELLED", "\(cancel.body)")
            let refused = try await Self.createIntent(server, token: token, notifyURL: url, amount: "3")
            _ = try await server.simulate(paymentRequestID: refused, outcome: "fail")
            #expect(try await server.awaitFinal(orderID: refused, token: token).data["status"] as? String == "CANCELLED")

            let received = await receiver.waitFor(5)
            let kinds = received.map { $0.json["notify_type"] as? String ?? "none" }
            #expect(kinds.sorted() == ["payment_cancelled", "payment_cancelled", "payment_success", "refund_failed", "refund_success"])
            for delivery in received {
                let problems = validator.webhookErrors(body: delivery.body, headers: delivery.headers)
                #expect(problems.isEmpty, "\(problems) in \(String(decoding: delivery.body, as: UTF8.self)) with \(delivery.headers)")
            }
            // Every documented event was delivered and checked, and the deliveries list names the same ones.
            let documented = try #require(served.json["webhooks"] as? [String: Any]).keys
            #expect(Set(documented) == Set(kinds))
            let schemas = try #require((served.json["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let listed = ((schemas["Delivery"] as? [String: Any])?["properties"] as? [String: Any])?["notify_type"] as? [String: Any]
            #expect(Set(listed?["enum"] as? [String] ?? []) == Set(documented))
        }
    }

    // MARK: The validator itself

    /// The document as committed (the server serves this file).
    static func committedValidator() throws -> OpenAPISchemaValidator {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("openapi/openapi.json")
        return OpenAPISchemaValidator(document: try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: file)))
    }

    static let validBody = #"{"data":{"create_time":"2025-03-27T10:32:11.000+08:00","merchant_order_id":"P19050854100199000000","order_amount":"50000","order_currency":"KRW","order_id":"C14042731016700000","pay_time":"2025-03-27T10:32:32.000+08:00","settle_currency":"USD","uid":12009321},"notify_type":"payment_success"}"#
    static let validHeaders = [
        "content-type": "application/json", "webhook-id": "msg_2m0r8g1c5x7k9p3q4v6w8y0z1a",
        "webhook-timestamp": "1743042760", "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
    ]

    static func problems(_ body: String, _ headers: [String: String] = validHeaders) throws -> [String] {
        try committedValidator().webhookErrors(body: Data(body.utf8), headers: headers)
    }

    @Test("a seed 000 payment_success with Standard Webhooks headers passes")
    func validDeliveryPasses() throws {
        #expect(try Self.problems(Self.validBody) == [])
    }

    @Test("a missing required field, a wrong type, an undocumented field, a bad time or enum value are each reported, naming the field")
    func bodyFaultsAreReported() throws {
        let faults: [(String, String, String)] = [
            (#","pay_time":"2025-03-27T10:32:32.000+08:00""#, "", "$.data.pay_time: required, missing"),
            (#""uid":12009321"#, #""uid":"12009321""#, "$.data.uid: a string, not integer"),
            (#""uid":12009321"#, #""uid":12009321.5"#, "$.data.uid: a number, not integer"),
            (#""uid":12009321"#, #""uid":12009321,"channel":"web""#, "$.data.channel: not a documented field"),
            (#""pay_time":"2025-03-27T10:32:32.000+08:00""#, #""pay_time":"2025-03-27 10:32:32""#, "$.data.pay_time: \"2025-03-27 10:32:32\" is not an RFC 3339 date-time"),
            (#""pay_time":"2025-03-27T10:32:32.000+08:00""#, #""pay_time":"2025-13-27T10:32:32.000+08:00""#, "$.data.pay_time: \"2025-13-27T10:32:32.000+08:00\" is not an RFC 3339 date-time"),
            (#""order_currency":"KRW""#, #""order_currency":"krw""#, "$.data.order_currency: \"krw\" does not match ^[A-Z]{3}$"),
            (#""order_amount":"50000""#, #""order_amount":"50000.00""#, #"$.data.order_amount: "50000.00" does not match ^(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$"#),
            (#""order_amount":"50000""#, #""order_amount":50000"#, "$.data.order_amount: a number, not string"),
        ]
        for (original, replacement, expected) in faults {
            let body = Self.validBody.replacingOccurrences(of: original, with: replacement)
            #expect(body != Self.validBody)
            let found = try Self.problems(body)
            #expect(found.contains(expected), "\(found) for \(body)")
        }
        // The data of one event under another's notify_type: refund_success needs the refund's fields.
        let misnamed = try Self.problems(Self.validBody.replacingOccurrences(of: "payment_success", with: "refund_success"))
        #expect(misnamed.contains("$.data.refund_id: required, missing"))
        #expect(try Self.problems(Self.validBody.replacingOccurrences(of: "payment_success", with: "payment_refunded"))
            == ["the document has no webhooks entry for payment_refunded"])
        #expect(try Self.problems(#"{"data":{}}"#) == ["the body has no notify_type string"])
    }

    @Test("a missing or malformed Standard Webhooks header, or a body that is not JSON, is reported")
    func headerFaultsAreReported() throws {
        var headers = Self.validHeaders
        headers["webhook-signature"] = nil
        #expect(try Self.problems(Self.validBody, headers) == ["header webhook-signature: required, missing"])
        headers["webhook-signature"] = "v2,abc"
        #expect(try Self.problems(Self.validBody, headers).first?.hasPrefix("header webhook-signature: \"v2,abc\" does not match") == true)
        headers = Self.validHeaders
        headers["webhook-timestamp"] = "2025-03-27T10:32:40Z"
        #expect(try Self.problems(Self.validBody, headers).first?.hasPrefix("header webhook-timestamp:") == true)
        headers = Self.validHeaders
        headers["content-type"] = "text/plain"
        #expect(try Self.problems(Self.validBody, headers) == ["header content-type: text/plain is none of the documented body types"])
        #expect(try Self.problems("notify_type=payment_success") == ["the body is not JSON"])
    }

    @Test("a keyword the validator does not implement is reported, not skipped")
    func unsupportedKeywordsAreReported() throws {
        let validator = try Self.committedValidator()
        let schema = JSONValue.object(["oneOf": .array([.object(["type": .string("string")])])])
        #expect(validator.errors(in: .number("1"), against: schema) == ["$: the validator does not support the keyword oneOf"])
        #expect(validator.errors(in: .null, against: .object(["type": .array([.string("string"), .string("null")])])) == [])
        #expect(validator.errors(in: .string("x"), against: .object(["$ref": .string("#/components/schemas/Nowhere")]))
            == [##"$: $ref "#/components/schemas/Nowhere" does not resolve"##])
    }
}
