import Foundation
import ShroffApp
import ShroffCore
import Testing

/// Cancel, expiry, refunds, reconciliation and provider failures, end to end over HTTP against the
/// sandbox provider.
@Suite("Payment lifecycle end to end")
struct LifecycleTests {
    /// Reconciliation every 200 ms so late results are found within a test.
    static func fast(_ configuration: inout GatewayConfiguration) {
        configuration.reconciliation = ReconciliationSchedule(first: .milliseconds(200), steps: [(1000, .milliseconds(200))], lease: .seconds(5))
        configuration.reconcilePollInterval = .milliseconds(50)
    }

    static func hkdRequest(amount: String, merchantOrderID: String = uniqueOrderID()) -> String {
        seed001Request(merchantOrderID: merchantOrderID, amount: amount)
    }

    static func control(_ server: Running, _ body: String) async throws {
        let answer = try await server.send(.POST, "\(server.sandboxURL)/sandbox/v1/control", headers: [("Content-Type", "application/json")], body: body)
        #expect(answer.status == 200, "sandbox control refused: \(answer.body)")
    }

    static func paidIntent(_ server: Running, token: String, amount: String = "10") async throws -> String {
        let created = try await server.api("pa/payment_intents/create", token: token, hkdRequest(amount: amount))
        let orderID = try #require(created.data["order_id"] as? String, "\(created.body)")
        _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
        let final = try await server.awaitFinal(orderID: orderID, token: token)
        #expect(final.data["status"] as? String == "SUCCEEDED")
        return orderID
    }

    static func refund(_ server: Running, token: String, orderID: String, amount: String, id: String = uniqueOrderID()) async throws -> Running.Answer {
        try await server.api("pa/refunds/create", token: token, #"{"order_id":"\#(orderID)","merchant_refund_id":"\#(id)","amount":"\#(amount)","reason":"customer request"}"#)
    }

    static func intent(_ server: Running, token: String, orderID: String) async throws -> [String: Any] {
        try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"\#(orderID)"}"#).data
    }

    /// Queries the refund until it leaves PROCESSING or 15 s pass.
    static func awaitRefund(_ server: Running, token: String, refundID: String) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            let answer = try await server.api("pa/refunds/query", token: token, #"{"refund_id":"\#(refundID)"}"#)
            if answer.data["status"] as? String != "PROCESSING" || ContinuousClock.now > deadline { return answer.data }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    // MARK: Cancel

    @Test("cancel: PENDING → CANCELLED downstream first; again answers it unchanged; the shopper can no longer pay")
    func cancelPending() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let created = try await server.api("pa/payment_intents/create", token: token, seed000Request())
            let orderID = try #require(created.data["order_id"] as? String)
            let cancelled = try await server.api("pa/payment_intents/cancel", token: token, #"{"order_id":"\#(orderID)"}"#)
            #expect(cancelled.code == 0, "\(cancelled.body)")
            #expect(cancelled.data["status"] as? String == "CANCELLED")
            #expect(cancelled.data["failure_code"] as? String == "MERCHANT_CANCELLED")
            #expect(cancelled.data["next_action"] == nil)
            let downstream = try await server.send(.GET, "\(server.sandboxURL)/sandbox/v1/payments/\(orderID)")
            #expect(downstream.json["status"] as? String == "CANCELLED")
            let again = try await server.api("pa/payment_intents/cancel", token: token, #"{"order_id":"\#(orderID)"}"#)
            #expect(again.code == 0)
            #expect(again.data["status"] as? String == "CANCELLED")
            _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await Self.intent(server, token: token, orderID: orderID)["status"] as? String == "CANCELLED")
        }
    }

    @Test("cancel of a SUCCEEDED intent is 40901 invalid_state")
    func cancelSucceeded() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let orderID = try await Self.paidIntent(server, token: token)
            let answer = try await server.api("pa/payment_intents/cancel", token: token, #"{"order_id":"\#(orderID)"}"#)
            #expect(answer.status == 409)
            #expect(answer.code == 40901)
            #expect(answer.json["error"] as? String == "invalid_state")
            #expect(answer.message.hasPrefix("status"))
        }
    }

    @Test("cancel when the shopper paid meanwhile (notification not yet arrived): SUCCEEDED wins, 40901")
    func cancelLosesToPayment() async throws {
        try await Running.with { server in
            let token = try await server.login()
            // .53 pays without notifying.
            let created = try await server.api("pa/payment_intents/create", token: token, Self.hkdRequest(amount: "2.53"))
            let orderID = try #require(created.data["order_id"] as? String)
            _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            let answer = try await server.api("pa/payment_intents/cancel", token: token, #"{"order_id":"\#(orderID)"}"#)
            #expect(answer.code == 40901, "\(answer.body)")
            #expect(try await Self.intent(server, token: token, orderID: orderID)["status"] as? String == "SUCCEEDED")
        }
    }

    // MARK: Expiry and reconciliation

    @Test("an intent past its expiry is cancelled downstream and becomes CANCELLED (EXPIRED)")
    func expiry() async throws {
        try await Running.with(adjust: { Self.fast(&$0); $0.defaultExpirySeconds = 1 }) { server in
            let token = try await server.login()
            let created = try await server.api("pa/payment_intents/create", token: token, seed000Request())
            let orderID = try #require(created.data["order_id"] as? String)
            let final = try await server.awaitFinal(orderID: orderID, token: token)
            #expect(final.data["status"] as? String == "CANCELLED")
            #expect(final.data["failure_code"] as? String == "EXPIRED")
            let downstream = try await server.send(.GET, "\(server.sandboxURL)/sandbox/v1/payments/\(orderID)")
            #expect(["CANCELLED", "FAIL"].contains(downstream.json["status"] as? String ?? ""))
        }
    }

    @Test("a payment made but never notified reaches SUCCEEDED through reconciliation")
    func reconciliationFindsSilentPayment() async throws {
        try await Running.with(adjust: Self.fast) { server in
            let token = try await server.login()
            let created = try await server.api("pa/payment_intents/create", token: token, Self.hkdRequest(amount: "3.53"))
            let orderID = try #require(created.data["order_id"] as? String)
            _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            let final = try await server.awaitFinal(orderID: orderID, token: token)
            #expect(final.data["status"] as? String == "SUCCEEDED")
            #expect(final.data["pay_time"] is String)
        }
    }

    @Test("notifications suppressed by the sandbox: reconciliation still reaches SUCCEEDED")
    func reconciliationWithSuppressedNotification() async throws {
        try await Running.with(adjust: Self.fast) { server in
            let token = try await server.login()
            try await Self.control(server, #"{"operation":"notifyPayment","fault":"suppress","count":5}"#)
            let created = try await server.api("pa/payment_intents/create", token: token, seed000Request())
            let orderID = try #require(created.data["order_id"] as? String)
            _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            #expect(try await server.awaitFinal(orderID: orderID, token: token).data["status"] as? String == "SUCCEEDED")
        }
    }

    @Test("an expired intent whose payment went through unnotified is SUCCEEDED, never CANCELLED")
    func expiryLosesToSilentPayment() async throws {
        try await Running.with(adjust: { configuration in
            // Reconciliation first looks after the expiry, so the expiry path meets the payment.
            configuration.reconciliation = ReconciliationSchedule(first: .seconds(2), steps: [(1000, .milliseconds(200))], lease: .seconds(5))
            configuration.reconcilePollInterval = .milliseconds(50)
            configuration.defaultExpirySeconds = 1
        }) { server in
            let token = try await server.login()
            let created = try await server.api("pa/payment_intents/create", token: token, Self.hkdRequest(amount: "4.53"))
            let orderID = try #require(created.data["order_id"] as? String)
            _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            let final = try await server.awaitFinal(orderID: orderID, token: token)
            #expect(final.data["status"] as? String == "SUCCEEDED")
        }
    }

    // MARK: Provider failures

    @Test("the provider answers U, then success: 503 first, the retry succeeds with one payment")
    func unknownThenSuccess() async throws {
        try await Running.with { server in
            let token = try await server.login()
            try await Self.control(server, #"{"operation":"pay","fault":"unknown_result","count":1}"#)
            let body = seed000Request()
            let first = try await server.api("pa/payment_intents/create", token: token, body)
            #expect(first.code == 50300, "\(first.body)")
            let second = try await server.api("pa/payment_intents/create", token: token, body)
            #expect(second.code == 0, "\(second.body)")
            let orderID = try #require(second.data["order_id"] as? String)
            #expect(second.data["next_action"] != nil)
            let downstream = try await server.send(.GET, "\(server.sandboxURL)/sandbox/v1/payments/\(orderID)")
            #expect(downstream.json["payment_request_id"] as? String == orderID)
            _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            #expect(try await server.awaitFinal(orderID: orderID, token: token).data["status"] as? String == "SUCCEEDED")
        }
    }

    @Test("the provider is down (HTTP 500): 503 with the intent PENDING, then recovery with no second payment")
    func downThenRecovery() async throws {
        try await Running.with { server in
            let token = try await server.login()
            // More failures than the gateway's own quick retries.
            try await Self.control(server, #"{"operation":"pay","fault":"http_500","count":3}"#)
            let body = seed001Request()
            let first = try await server.api("pa/payment_intents/create", token: token, body)
            #expect(first.code == 50300, "\(first.body)")
            #expect(first.header("Retry-After") != nil)
            let second = try await server.api("pa/payment_intents/create", token: token, body)
            #expect(second.code == 0, "\(second.body)")
            let orderID = try #require(second.data["order_id"] as? String)
            let downstream = try await server.send(.GET, "\(server.sandboxURL)/sandbox/v1/payments/\(orderID)")
            #expect(downstream.json["status"] as? String == "PROCESSING")
            _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            #expect(try await server.awaitFinal(orderID: orderID, token: token).data["status"] as? String == "SUCCEEDED")
        }
    }

    @Test("a dead provider opens the circuit: later calls fail fast with 503 instead of waiting")
    func circuitBreaker() async throws {
        try await Running.with(adjust: { $0.circuitBreakerFailures = 3; $0.circuitBreakerOpenDuration = .seconds(60) }) { server in
            let token = try await server.login()
            try await Self.control(server, #"{"operation":"pay","fault":"connection_reset","count":100}"#)
            _ = try await server.api("pa/payment_intents/create", token: token, seed000Request())
            let started = ContinuousClock.now
            let fast = try await server.api("pa/payment_intents/create", token: token, seed000Request())
            #expect(fast.code == 50300)
            #expect(ContinuousClock.now - started < .seconds(1))
        }
    }

    // MARK: Refunds

    @Test("partial then full refunds: refunded_amount grows, over-refund is 42200, the intent stays SUCCEEDED")
    func partialAndFullRefunds() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let orderID = try await Self.paidIntent(server, token: token, amount: "10")
            let first = try await Self.refund(server, token: token, orderID: orderID, amount: "4")
            #expect(first.code == 0, "\(first.body)")
            let firstID = try #require(first.data["refund_id"] as? String)
            #expect(firstID.hasPrefix("R"))
            #expect(first.data["amount"] as? String == "4")
            #expect(first.data["currency"] as? String == "HKD")
            #expect(first.data["order_id"] as? String == orderID)
            let firstFinal = try await Self.awaitRefund(server, token: token, refundID: firstID)
            #expect(firstFinal["status"] as? String == "SUCCEEDED")
            #expect(firstFinal["finish_time"] is String)
            #expect(try await Self.intent(server, token: token, orderID: orderID)["refunded_amount"] as? String == "4")

            let over = try await Self.refund(server, token: token, orderID: orderID, amount: "6.01")
            #expect(over.status == 422)
            #expect(over.code == 42200)
            #expect(over.message.hasPrefix("amount"))

            let rest = try await Self.refund(server, token: token, orderID: orderID, amount: "6")
            let restID = try #require(rest.data["refund_id"] as? String, "\(rest.body)")
            #expect(try await Self.awaitRefund(server, token: token, refundID: restID)["status"] as? String == "SUCCEEDED")
            let intent = try await Self.intent(server, token: token, orderID: orderID)
            #expect(intent["refunded_amount"] as? String == "10")
            #expect(intent["status"] as? String == "SUCCEEDED")
            let none = try await Self.refund(server, token: token, orderID: orderID, amount: "0.01")
            #expect(none.code == 42200)
        }
    }

    @Test("refund rules: PENDING intent 40901, idempotent merchant_refund_id, reuse with other amount 40900, validation 40001, unknown 40400")
    func refundRules() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let pending = try await server.api("pa/payment_intents/create", token: token, seed001Request())
            let pendingID = try #require(pending.data["order_id"] as? String)
            let early = try await Self.refund(server, token: token, orderID: pendingID, amount: "1")
            #expect(early.code == 40901)

            let orderID = try await Self.paidIntent(server, token: token, amount: "10")
            let refundID = uniqueOrderID()
            let first = try await Self.refund(server, token: token, orderID: orderID, amount: "2", id: refundID)
            let again = try await Self.refund(server, token: token, orderID: orderID, amount: "2", id: refundID)
            #expect(again.code == 0)
            #expect(again.data["refund_id"] as? String == first.data["refund_id"] as? String)
            let changed = try await Self.refund(server, token: token, orderID: orderID, amount: "3", id: refundID)
            #expect(changed.code == 40900)
            #expect(changed.message.hasPrefix("merchant_refund_id"))
            #expect(try await Self.refund(server, token: token, orderID: orderID, amount: "1.001").code == 40001)
            #expect(try await Self.refund(server, token: token, orderID: orderID, amount: "-1").code == 40001)
            let missing = try await server.api("pa/refunds/create", token: token, #"{"order_id":"\#(orderID)","amount":"1"}"#)
            #expect(missing.code == 40001)
            #expect(missing.message.hasPrefix("merchant_refund_id"))
            #expect(try await server.api("pa/refunds/query", token: token, #"{"refund_id":"R000"}"#).code == 40400)
            let byMerchantID = try await server.api("pa/refunds/query", token: token, #"{"merchant_refund_id":"\#(refundID)"}"#)
            #expect(byMerchantID.data["refund_id"] as? String == first.data["refund_id"] as? String)
        }
    }

    @Test("concurrent refunds racing for the last unit: exactly one wins")
    func concurrentRefunds() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let orderID = try await Self.paidIntent(server, token: token, amount: "1")
            let answers = try await withThrowingTaskGroup(of: Running.Answer.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await Self.refund(server, token: token, orderID: orderID, amount: "1") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.filter { $0.code == 0 }.count == 1, "\(answers.map(\.body))")
            #expect(answers.filter { $0.code == 42200 }.count == 7)
        }
    }

    @Test("a refund the wallet fails later (magic .61) ends FAILED and frees the amount")
    func refundFailsAsynchronously() async throws {
        try await Running.with(adjust: Self.fast) { server in
            let token = try await server.login()
            let orderID = try await Self.paidIntent(server, token: token, amount: "10")
            let refund = try await Self.refund(server, token: token, orderID: orderID, amount: "1.61")
            let refundID = try #require(refund.data["refund_id"] as? String, "\(refund.body)")
            let final = try await Self.awaitRefund(server, token: token, refundID: refundID)
            #expect(final["status"] as? String == "FAILED")
            #expect(try await Self.intent(server, token: token, orderID: orderID)["refunded_amount"] as? String == "0")
            // The failed refund no longer counts against the refundable amount.
            #expect(try await Self.refund(server, token: token, orderID: orderID, amount: "10").code == 0)
        }
    }

    @Test("a refund whose result is never notified (magic .62) is completed through reconciliation")
    func refundReconciled() async throws {
        try await Running.with(adjust: Self.fast) { server in
            let token = try await server.login()
            let orderID = try await Self.paidIntent(server, token: token, amount: "10")
            let refund = try await Self.refund(server, token: token, orderID: orderID, amount: "1.62")
            let refundID = try #require(refund.data["refund_id"] as? String, "\(refund.body)")
            #expect(refund.data["status"] as? String == "PROCESSING")
            // The wallet completes it but its notification is lost: only reconciliation can find out.
            try await Self.control(server, #"{"operation":"notifyRefund","fault":"suppress","count":1}"#)
            let completed = try await server.send(
                .POST, "\(server.sandboxURL)/sandbox/v1/refunds/simulate", headers: [("Content-Type", "application/json")],
                body: #"{"refund_request_id":"\#(refundID)","outcome":"success"}"#
            )
            #expect(completed.status == 200, "\(completed.body)")
            #expect(try await Self.awaitRefund(server, token: token, refundID: refundID)["status"] as? String == "SUCCEEDED")
            #expect(try await Self.intent(server, token: token, orderID: orderID)["refunded_amount"] as? String == "1.62")
        }
    }

    @Test("refund webhooks: refund_success with the refund's fields")
    func refundWebhook() async throws {
        try await WebhookTests.withReceiver { server, receiver, url in
            let token = try await server.login()
            let created = try await server.api("pa/payment_intents/create", token: token, WebhookTests.request(notifyURL: url))
            let orderID = try #require(created.data["order_id"] as? String)
            _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            _ = try await server.awaitFinal(orderID: orderID, token: token)
            let refund = try await Self.refund(server, token: token, orderID: orderID, amount: "0.4")
            let refundID = try #require(refund.data["refund_id"] as? String, "\(refund.body)")
            _ = try await Self.awaitRefund(server, token: token, refundID: refundID)
            let received = await receiver.waitFor(2)
            #expect(received.map { $0.json["notify_type"] as? String } == ["payment_success", "refund_success"])
            let data = try #require(received.last?.json["data"] as? [String: Any])
            #expect(data["refund_id"] as? String == refundID)
            #expect(data["refund_amount"] as? String == "0.4")
            #expect(data["refund_currency"] as? String == "USD")
            #expect(data["order_id"] as? String == orderID)
            #expect(data["refunded_amount"] as? String == "0.4")
        }
    }
}
