import Foundation
import Testing

@Suite("Idempotent merchant_order_id")
struct IdempotencyTests {
    @Test("the same create twice answers the same intent, the provider sees one payment")
    func retryAnswersSameIntent() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let body = seed000Request()
            let first = try await server.api("pa/payment_intents/create", token: token, body)
            let second = try await server.api("pa/payment_intents/create", token: token, body)
            let orderID = try #require(first.data["order_id"] as? String)
            #expect(second.code == 0)
            #expect(second.data["order_id"] as? String == orderID)
            #expect(second.data["create_time"] as? String == first.data["create_time"] as? String)
            let firstAction = first.data["next_action"] as? [String: String]
            #expect(firstAction != nil)
            #expect(second.data["next_action"] as? [String: String] == firstAction)
            let downstream = try await server.send(.GET, "\(server.sandboxURL)/sandbox/v1/payments/\(orderID)")
            #expect(downstream.json["pay_calls"] as? Int == 1)
        }
    }

    @Test("after payment, the same create answers SUCCEEDED without next_action")
    func retryAfterPayment() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let body = seed001Request()
            let first = try await server.api("pa/payment_intents/create", token: token, body)
            let orderID = try #require(first.data["order_id"] as? String)
            _ = try await server.simulate(paymentRequestID: orderID, outcome: "success")
            _ = try await server.awaitFinal(orderID: orderID, token: token)
            let again = try await server.api("pa/payment_intents/create", token: token, body)
            #expect(again.data["order_id"] as? String == orderID)
            #expect(again.data["status"] as? String == "SUCCEEDED")
            #expect(again.data["next_action"] == nil)
        }
    }

    @Test("the same merchant_order_id with other parameters is 40900")
    func conflictingReuse() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let merchantOrderID = uniqueOrderID()
            _ = try await server.api("pa/payment_intents/create", token: token, seed000Request(merchantOrderID: merchantOrderID))
            let changed = try await server.api("pa/payment_intents/create", token: token, seed000Request(merchantOrderID: merchantOrderID, amount: "2"))
            #expect(changed.status == 409)
            #expect(changed.code == 40900)
            #expect(changed.json["error"] as? String == "duplicate_request")
            #expect(changed.message.hasPrefix("merchant_order_id"))
        }
    }

    @Test("identical creates racing make one intent and one downstream payment")
    func concurrentCreates() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let body = seed000Request()
            let answers = try await withThrowingTaskGroup(of: Running.Answer.self) { group in
                for _ in 0..<8 { group.addTask { try await server.api("pa/payment_intents/create", token: token, body) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.allSatisfy { $0.code == 0 }, "\(answers.map(\.body))")
            let orderIDs = Set(answers.compactMap { $0.data["order_id"] as? String })
            #expect(orderIDs.count == 1)
            let orderID = try #require(orderIDs.first)
            let downstream = try await server.send(.GET, "\(server.sandboxURL)/sandbox/v1/payments/\(orderID)")
            #expect(downstream.json["payment_request_id"] as? String == orderID)
            #expect(downstream.json["status"] as? String == "PROCESSING")
            #expect(downstream.json["pay_calls"] as? Int == 1)
            // The provider's whole ledger: that one payment and no other.
            let ledger = try await server.send(.GET, "\(server.sandboxURL)/sandbox/v1/payments")
            let payments = try #require(ledger.json["payments"] as? [[String: Any]])
            #expect(payments.compactMap { $0["payment_request_id"] as? String } == [orderID])
        }
    }

    @Test("two merchants may use the same merchant_order_id independently")
    func merchantsAreSeparate() async throws {
        try await Running.with { server in
            let other = try await server.createMerchant(name: "Other shop")
            let merchantOrderID = uniqueOrderID()
            let first = try await server.api("pa/payment_intents/create", token: try await server.login(), seed000Request(merchantOrderID: merchantOrderID))
            let second = try await server.api("pa/payment_intents/create", token: try await server.login(other), seed000Request(merchantOrderID: merchantOrderID))
            #expect(first.code == 0 && second.code == 0)
            #expect(first.data["order_id"] as? String != second.data["order_id"] as? String)
        }
    }
}
