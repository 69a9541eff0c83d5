import Foundation
import ShroffApp
import ShroffCore
import Testing

@Suite("Merchant API: authentication, envelope and errors over HTTP")
struct MerchantAPITests {
    @Test("login answers a token with its expiry; the token opens the API")
    func login() async throws {
        try await Running.with { server in
            let answer = try await server.send(.POST, "\(server.gatewayURL)/mch-api/v1/authentication/login", headers: [
                ("x-client-id", server.credentials.clientID), ("x-api-key", server.credentials.apiKey),
            ])
            #expect(answer.code == 0)
            #expect(answer.data["token"] is String)
            let expiresAt = try #require(answer.data["expires_at"] as? String)
            let expiry = try #require(TimestampFormat.parse(expiresAt))
            #expect(abs(expiry.timeIntervalSinceNow - 1800) < 60)
        }
    }

    @Test("wrong api key, unknown client, missing headers: 40100 with no secret echoed")
    func loginRefusals() async throws {
        try await Running.with { server in
            let url = "\(server.gatewayURL)/mch-api/v1/authentication/login"
            let wrongKey = try await server.send(.POST, url, headers: [("x-client-id", server.credentials.clientID), ("x-api-key", "sk_wrong")])
            #expect(wrongKey.status == 401)
            #expect(wrongKey.code == 40100)
            #expect(wrongKey.json["error"] as? String == "unauthorized")
            #expect(!wrongKey.body.contains("sk_wrong"))
            let unknown = try await server.send(.POST, url, headers: [("x-client-id", "mch_nobody"), ("x-api-key", server.credentials.apiKey)])
            #expect(unknown.code == 40100)
            #expect(!unknown.body.contains(server.credentials.apiKey))
            let missing = try await server.send(.POST, url, headers: [("x-client-id", server.credentials.clientID)])
            #expect(missing.code == 40100)
            #expect(missing.message.hasPrefix("x-api-key"))
        }
    }

    @Test("no token, a malformed token, a forged token: 40100")
    func tokenRefusals() async throws {
        try await Running.with { server in
            let body = #"{"order_id":"C1"}"#
            #expect(try await server.api("pa/payment_intents/query", token: nil, body).code == 40100)
            #expect(try await server.api("pa/payment_intents/query", token: "garbage", body).code == 40100)
            let token = try await server.login()
            var forged = Array(token)
            forged[forged.count - 2] = forged[forged.count - 2] == "A" ? "B" : "A"
            let answer = try await server.api("pa/payment_intents/query", token: String(forged), body)
            #expect(answer.status == 401)
            #expect(answer.code == 40100)
        }
    }

    @Test("a token keeps working after a restart of the gateway on the same database")
    func tokenSurvivesRestart() async throws {
        let folder = temporaryFolder()
        var token = ""
        var credentials: MerchantCredentials?
        try await Running.with(dataDirectory: folder) { server in
            token = try await server.login()
            credentials = server.credentials
        }
        try await Running.with(dataDirectory: folder) { server in
            let answer = try await server.api("pa/payment_intents/create", token: token, seed000Request())
            #expect(answer.code == 0, "\(answer.body)")
            #expect(credentials != nil)
        }
    }

    @Test("envelope: rid is 32 hex, equals the x-request-id header, and differs per request")
    func envelope() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let first = try await server.api("pa/payment_intents/create", token: token, seed000Request())
            let second = try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"nope"}"#)
            for answer in [first, second] {
                let rid = try #require(answer.json["rid"] as? String)
                #expect(rid.count == 32 && rid.allSatisfy { $0.isHexDigit && !$0.isUppercase })
                #expect(answer.header("x-request-id") == rid)
            }
            #expect(first.json["rid"] as? String != second.json["rid"] as? String)
        }
    }

    @Test("wrong content type, invalid JSON, or a JSON array: 40000 invalid_request")
    func invalidRequests() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let url = "\(server.gatewayURL)/mch-api/v1/pa/payment_intents/create"
            let auth = ("Authorization", "Bearer \(token)")
            let textPlain = try await server.send(.POST, url, headers: [auth, ("Content-Type", "text/plain")], body: seed000Request())
            #expect(textPlain.status == 400)
            #expect(textPlain.code == 40000)
            #expect(textPlain.json["error"] as? String == "invalid_request")
            #expect(textPlain.json["data"] is NSNull)
            #expect(textPlain.message.hasPrefix("Content-Type"))
            for body in ["{not json", "[1,2]", "\"text\"", ""] {
                let answer = try await server.send(.POST, url, headers: [auth, ("Content-Type", "application/json")], body: body)
                #expect(answer.status == 400, "\(body)")
                #expect(answer.code == 40000, "\(body)")
            }
        }
    }

    @Test("a rule broken: 40001 naming the field")
    func invalidParameter() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let euros = seed001Request().replacingOccurrences(of: "\"HKD\"", with: "\"EUR\"")
            let answer = try await server.api("pa/payment_intents/create", token: token, euros)
            #expect(answer.status == 400)
            #expect(answer.code == 40001)
            #expect(answer.json["error"] as? String == "invalid_parameter")
            #expect(answer.message.hasPrefix("currency"))
            let numberAmount = seed000Request().replacingOccurrences(of: "\"amount\": \"1\"", with: "\"amount\": 1")
            let number = try await server.api("pa/payment_intents/create", token: token, numberAmount)
            #expect(number.code == 40001)
            #expect(number.message.hasPrefix("amount"))
        }
    }

    @Test("a wallet minimum of seed 002: 42200 rejected")
    func walletMinimum() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let body = """
                {"amount":"0.5","currency":"THB","merchant_order_id":"\(uniqueOrderID())","description":"Tea",
                 "payment_method":{"type":"aplus","aplus":{"flow":"cashier","presentment_mode":"TILE","payment_method":"TRUEMONEY"}}}
                """
            let answer = try await server.api("pa/payment_intents/create", token: token, body)
            #expect(answer.status == 422)
            #expect(answer.code == 42200)
            #expect(answer.message.hasPrefix("amount"))
        }
    }

    @Test("another merchant's intent, or none at all, is 40400")
    func notFound() async throws {
        try await Running.with { server in
            let created = try await server.api("pa/payment_intents/create", token: try await server.login(), seed000Request())
            let orderID = try #require(created.data["order_id"] as? String)
            let other = try await server.createMerchant(name: "Other shop")
            let otherToken = try await server.login(other)
            let foreign = try await server.api("pa/payment_intents/query", token: otherToken, #"{"order_id":"\#(orderID)"}"#)
            #expect(foreign.status == 404)
            #expect(foreign.code == 40400)
            #expect(foreign.json["error"] as? String == "not_found")
            let missing = try await server.api("pa/payment_intents/query", token: otherToken, #"{"merchant_order_id":"nothing-here"}"#)
            #expect(missing.code == 40400)
            let unknownPath = try await server.api("pa/nothing", token: otherToken, "{}")
            #expect(unknownPath.status == 404)
        }
    }

    @Test("query needs order_id or merchant_order_id, and both must name the same intent")
    func queryRules() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let created = try await server.api("pa/payment_intents/create", token: token, seed000Request())
            let orderID = try #require(created.data["order_id"] as? String)
            let neither = try await server.api("pa/payment_intents/query", token: token, "{}")
            #expect(neither.code == 40001)
            #expect(neither.message.hasPrefix("order_id"))
            let mismatch = try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"\#(orderID)","merchant_order_id":"other"}"#)
            #expect(mismatch.code == 40001)
            #expect(mismatch.message.hasPrefix("merchant_order_id"))
            let merchantOrderID = try #require(created.data["merchant_order_id"] as? String)
            let both = try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"\#(orderID)","merchant_order_id":"\#(merchantOrderID)"}"#)
            #expect(both.data["order_id"] as? String == orderID)
        }
    }

    @Test("over the rate limit: 42900 with Retry-After")
    func rateLimited() async throws {
        try await Running.with(adjust: { $0.rateLimitBurst = 3; $0.rateLimitPerSecond = 0.001 }) { server in
            let token = try await server.login()
            var answers: [Running.Answer] = []
            for _ in 0..<5 {
                answers.append(try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"C1"}"#))
            }
            #expect(answers.prefix(3).allSatisfy { $0.code == 40400 })
            let limited = try #require(answers.last)
            #expect(limited.status == 429)
            #expect(limited.code == 42900)
            #expect(limited.json["error"] as? String == "rate_limited")
            #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
        }
    }

    @Test("merchants create works against the database while the server runs")
    func merchantCreatedWhileRunning() async throws {
        try await Running.with { server in
            let credentials = try await server.createMerchant(name: "Late shop", h5Domain: "late.example.com")
            #expect(credentials.clientID.hasPrefix("mch_"))
            #expect(credentials.webhookSecret.hasPrefix("whsec_"))
            #expect(credentials.uid > server.credentials.uid)
            let token = try await server.login(credentials)
            #expect(try await server.api("pa/payment_intents/create", token: token, seed000Request()).code == 0)
        }
    }

    @Test("health and readiness probes")
    func probes() async throws {
        try await Running.with { server in
            #expect(try await server.send(.GET, "\(server.gatewayURL)/healthz").status == 200)
            let ready = try await server.send(.GET, "\(server.gatewayURL)/readyz")
            #expect(ready.status == 200)
            #expect(ready.data["status"] as? String == "ready")
        }
    }
}
