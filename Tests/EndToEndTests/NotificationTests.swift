import Foundation
import ShroffApp
import ShroffConnectors
import ShroffCore
import ShroffSandbox
import Testing
import _CryptoExtras

/// The provider notification endpoint, fed by hand-signed messages as the provider would send them.
@Suite("Provider notifications")
struct NotificationTests {
    static let path = "/provider/ams/notify"
    static let acknowledgement = #"{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}"#

    /// A `notifyPayment` body for `orderID` (providers.md §1), amount in minor units.
    /// `paymentID`: the provider's id of the payment (the sandbox's, looked up by `paymentID(of:)`).
    static func body(
        orderID: String, paymentID: String, status: String = "S", code: String = "SUCCESS", value: String? = "100",
        currency: String = "USD"
    ) -> String {
        let amount = value.map { #""paymentAmount":{"currency":"\#(currency)","value":"\#($0)"},"# } ?? ""
        return """
        {"notifyType":"PAYMENT_RESULT","result":{"resultCode":"\(code)","resultStatus":"\(status)","resultMessage":"\(code)"},\
        "paymentRequestId":"\(orderID)","paymentId":"\(paymentID)",\(amount)\
        "paymentCreateTime":"2026-11-22T10:00:00+08:00","paymentTime":"2026-11-22T10:00:05+08:00","paymentMethodType":"ALIPAY_HK"}
        """
    }

    /// The paymentId the sandbox gave the gateway for `orderID`.
    static func paymentID(of orderID: String, _ server: Running) async throws -> String {
        let downstream = try await server.send(.GET, "\(server.sandboxURL)/sandbox/v1/payments/\(orderID)")
        return try #require(downstream.json["payment_id"] as? String)
    }

    /// Posts `body` signed with `key` (the provider's unless a forger's), optionally altering it after signing.
    static func notify(
        _ server: Running, body: String, key: _RSA.Signing.PrivateKey? = nil, alteredBody: String? = nil,
        clientID: String = SandboxDefaults.clientID
    ) async throws -> Running.Answer {
        let signingKey = try key ?? RSAKeyText.privateKey(server.keys.providerPrivateKeyPEM, role: "provider")
        let time = "2026-11-22T10:00:06+08:00"
        let signature = try AMSSignature.header(
            signing: Array(body.utf8), path: path, clientID: clientID, time: time, with: signingKey
        )
        return try await server.send(.POST, server.gatewayURL + path, headers: [
            ("Content-Type", "application/json; charset=UTF-8"), ("client-id", clientID),
            ("request-time", time), ("signature", signature),
        ], body: alteredBody ?? body)
    }

    static func pendingIntent(_ server: Running, token: String) async throws -> String {
        let created = try await server.api("pa/payment_intents/create", token: token, seed000Request())
        return try #require(created.data["order_id"] as? String)
    }

    static func status(_ server: Running, orderID: String, token: String) async throws -> String? {
        try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"\#(orderID)"}"#).data["status"] as? String
    }

    @Test("a genuine notification is acknowledged exactly as the protocol says and marks the intent paid")
    func genuine() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let orderID = try await Self.pendingIntent(server, token: token)
            let paymentID = try await Self.paymentID(of: orderID, server)
            let answer = try await Self.notify(server, body: Self.body(orderID: orderID, paymentID: paymentID))
            #expect(answer.status == 200)
            #expect(answer.body == Self.acknowledgement)
            #expect(try await Self.status(server, orderID: orderID, token: token) == "SUCCEEDED")
        }
    }

    @Test("a notification signed by another key changes nothing and is not acknowledged")
    func forged() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let orderID = try await Self.pendingIntent(server, token: token)
            let paymentID = try await Self.paymentID(of: orderID, server)
            let forger = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let answer = try await Self.notify(server, body: Self.body(orderID: orderID, paymentID: paymentID), key: forger)
            #expect(answer.body != Self.acknowledgement)
            #expect(answer.body.contains("INVALID_SIGNATURE"))
            #expect(try await Self.status(server, orderID: orderID, token: token) == "PENDING")
        }
    }

    @Test("a genuine notification replayed with a changed body is refused")
    func alteredAfterSigning() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let orderID = try await Self.pendingIntent(server, token: token)
            let paymentID = try await Self.paymentID(of: orderID, server)
            let genuineFailure = Self.body(orderID: orderID, paymentID: paymentID, status: "F", code: "PROCESS_FAIL")
            let answer = try await Self.notify(
                server, body: genuineFailure, alteredBody: Self.body(orderID: orderID, paymentID: paymentID)
            )
            #expect(answer.body != Self.acknowledgement)
            #expect(try await Self.status(server, orderID: orderID, token: token) == "PENDING")
        }
    }

    @Test("a signed notification for another amount never marks the intent paid")
    func amountMismatch() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let orderID = try await Self.pendingIntent(server, token: token)
            let paymentID = try await Self.paymentID(of: orderID, server)
            let answer = try await Self.notify(server, body: Self.body(orderID: orderID, paymentID: paymentID, value: "1"))
            #expect(answer.body != Self.acknowledgement)
            #expect(try await Self.status(server, orderID: orderID, token: token) == "PENDING")
        }
    }

    @Test("duplicated and out-of-order notifications are acknowledged and harmless")
    func duplicatesAndOutOfOrder() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let orderID = try await Self.pendingIntent(server, token: token)
            let paymentID = try await Self.paymentID(of: orderID, server)
            let success = Self.body(orderID: orderID, paymentID: paymentID)
            for _ in 0..<3 {
                #expect(try await Self.notify(server, body: success).body == Self.acknowledgement)
            }
            let lateFailure = Self.body(orderID: orderID, paymentID: paymentID, status: "F", code: "PROCESS_FAIL")
            #expect(try await Self.notify(server, body: lateFailure).body == Self.acknowledgement)
            let query = try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"\#(orderID)"}"#)
            #expect(query.data["status"] as? String == "SUCCEEDED")
            #expect(query.data["pay_time"] as? String == "2026-11-22T10:00:05.000+08:00")
        }
    }

    @Test("a final failure cancels once; a later success report does not revive the intent")
    func failureThenSuccess() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let orderID = try await Self.pendingIntent(server, token: token)
            let paymentID = try await Self.paymentID(of: orderID, server)
            #expect(try await Self.notify(server, body: Self.body(orderID: orderID, paymentID: paymentID, status: "F", code: "PROCESS_FAIL")).body == Self.acknowledgement)
            _ = try await Self.notify(server, body: Self.body(orderID: orderID, paymentID: paymentID))
            #expect(try await Self.status(server, orderID: orderID, token: token) == "CANCELLED")
        }
    }

    // MARK: Reports must be bound to us (issue 14): signed by the provider is not enough.

    @Test("a provider-signed report for another client-id (another customer of the provider) is refused")
    func foreignClientID() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let orderID = try await Self.pendingIntent(server, token: token)
            let paymentID = try await Self.paymentID(of: orderID, server)
            let answer = try await Self.notify(server, body: Self.body(orderID: orderID, paymentID: paymentID), clientID: "OTHER_CUSTOMER_01")
            #expect(answer.body != Self.acknowledgement)
            #expect(try await Self.status(server, orderID: orderID, token: token) == "PENDING")
        }
    }

    @Test("a signed report naming a paymentId the provider never gave us for this payment is refused")
    func foreignPaymentID() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let orderID = try await Self.pendingIntent(server, token: token)
            let answer = try await Self.notify(server, body: Self.body(orderID: orderID, paymentID: "2026999999"))
            #expect(answer.body != Self.acknowledgement)
            #expect(try await Self.status(server, orderID: orderID, token: token) == "PENDING")
        }
    }

    @Test("a signed report without an amount is refused, not applied unchecked")
    func missingAmount() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let orderID = try await Self.pendingIntent(server, token: token)
            let paymentID = try await Self.paymentID(of: orderID, server)
            let answer = try await Self.notify(server, body: Self.body(orderID: orderID, paymentID: paymentID, value: nil))
            #expect(answer.body != Self.acknowledgement)
            #expect(try await Self.status(server, orderID: orderID, token: token) == "PENDING")
        }
    }

    @Test("the sandbox's own signed notification is accepted and both sides agree on the result")
    func sandboxNotificationAccepted() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let orderID = try await Self.pendingIntent(server, token: token)
            _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            let final = try await server.awaitFinal(orderID: orderID, token: token)
            #expect(final.data["status"] as? String == "SUCCEEDED")
            let downstream = try await server.send(.GET, "\(server.sandboxURL)/sandbox/v1/payments/\(orderID)")
            #expect(downstream.json["status"] as? String == "SUCCESS")
        }
    }
}
