import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Logging
import ShroffApp
import ShroffCore
import Testing

/// A browser as far as the consoles care: cookies kept, redirects not followed (the tests look at them).
final class ConsoleBrowser: Sendable {
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
    let base: String
    private let jar = CookieJar()

    init(base: String) { self.base = base }

    actor CookieJar {
        var cookies: [String: String] = [:]
        func set(_ name: String, _ value: String) { if value.isEmpty { cookies[name] = nil } else { cookies[name] = value } }
        func header() -> String { cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        func value(_ name: String) -> String? { cookies[name] }
    }

    func cookie(_ name: String) async -> String? { await jar.value(name) }
    func setCookie(_ name: String, _ value: String) async { await jar.set(name, value) }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> Running.Answer {
        try await send(.GET, path, headers: headers, body: nil)
    }

    /// Posts a form (fields in order, URL-encoded).
    func post(_ path: String, _ fields: [(String, String)], headers: [(String, String)] = []) async throws -> Running.Answer {
        let body = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return try await send(.POST, path, headers: headers + [("Content-Type", "application/x-www-form-urlencoded")], body: body)
    }

    func send(_ method: HTTPMethod, _ path: String, headers: [(String, String)], body: String?) async throws -> Running.Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        let cookies = await jar.header()
        if !cookies.isEmpty { request.headers.add(name: "Cookie", value: cookies) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(30))
        for header in response.headers["set-cookie"] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if pair.count == 2 { await jar.set(String(pair[0]), String(pair[1])) }
        }
        let bytes = try await response.body.collect(upTo: 1 << 22)
        return Running.Answer(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: String(buffer: bytes))
    }

    func shutdown() async throws { try await client.shutdown() }

    static func with(_ base: String, _ body: (ConsoleBrowser) async throws -> Void) async throws {
        let browser = ConsoleBrowser(base: base)
        do { try await body(browser) } catch {
            try? await browser.shutdown()
            throw error
        }
        try await browser.shutdown()
    }

    /// The CSRF token of the page's forms.
    static func csrf(_ page: String) throws -> String {
        let match = try #require(page.firstMatch(of: /name="csrf_token" value="([0-9a-f]{64})"/), "no CSRF field in the page")
        return String(match.1)
    }

    /// Signs in through the form and returns the payments page.
    func signIn(_ credentials: MerchantCredentials) async throws -> Running.Answer {
        let answer = try await post("/dashboard/sign-in", [("client_id", credentials.clientID), ("api_key", credentials.apiKey)])
        #expect(answer.status == 303, "sign-in: \(answer.status) \(answer.body)")
        return try await get("/dashboard/payments")
    }
}

@Suite("Dashboard and operator console", .serialized)
struct DashboardTests {
    static let operatorToken = "operator-token-for-the-tests-0123"

    @Test("sign in: the cookie is HttpOnly, SameSite=Strict, Secure behind https; a wrong key or a Bearer token opens nothing")
    func sessions() async throws {
        try await Running.with(.embedded) { server in
            try await ConsoleBrowser.with(server.gatewayURL) { browser in
                let wrong = try await browser.post("/dashboard/sign-in", [("client_id", server.credentials.clientID), ("api_key", "sk_wrong")])
                #expect(wrong.status == 401 && wrong.body.contains("api_key: wrong client id or api key"))
                #expect(wrong.header("set-cookie") == nil)
                let crossSite = try await browser.post(
                    "/dashboard/sign-in", [("client_id", server.credentials.clientID), ("api_key", server.credentials.apiKey)],
                    headers: [("Origin", "https://evil.example")]
                )
                #expect(crossSite.status == 403 && crossSite.header("set-cookie") == nil)
                let missing = try await browser.post("/dashboard/sign-in", [("client_id", server.credentials.clientID)])
                #expect(missing.status == 400 && missing.body.contains("api_key: is required"))

                // The API's Bearer token does not open the dashboard.
                let token = try await server.login()
                let bearer = try await browser.get("/dashboard/payments", headers: [("Authorization", "Bearer \(token)")])
                #expect(bearer.status == 303 && bearer.header("location") == "/dashboard/sign-in")

                let signIn = try await browser.post(
                    "/dashboard/sign-in", [("client_id", server.credentials.clientID), ("api_key", server.credentials.apiKey)],
                    headers: [("X-Forwarded-Proto", "https")]
                )
                #expect(signIn.status == 303 && signIn.header("location") == "/dashboard/payments")
                let cookie = try #require(signIn.header("set-cookie"))
                #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Secure") && cookie.contains("Max-Age=43200"))
                #expect(!signIn.body.contains(server.credentials.apiKey))
                let page = try await browser.get("/dashboard/payments")
                #expect(page.status == 200 && page.body.contains("Payments") && !page.body.contains(server.credentials.apiKey))
                #expect(page.header("content-security-policy")?.contains("default-src 'none'") == true)
                #expect(page.body.contains("Test mode"))

                // The session token is not a Bearer token of the API.
                let session = try #require(await browser.cookie("shroff_dashboard"))
                let api = try await server.api("pa/payment_intents/query", token: session, #"{"order_id":"C1"}"#)
                #expect(api.status == 401)

                // Signing in again ends the session the browser had: its old cookie opens nothing.
                let again = try await browser.post(
                    "/dashboard/sign-in", [("client_id", server.credentials.clientID), ("api_key", server.credentials.apiKey)]
                )
                let renewed = await browser.cookie("shroff_dashboard")
                #expect(again.status == 303 && renewed != session)
                #expect(try await browser.get("/dashboard/payments").status == 200)
                await browser.setCookie("shroff_dashboard", session)
                #expect(try await browser.get("/dashboard/payments").status == 303)

                // Over plain http the cookie is not Secure.
                try await ConsoleBrowser.with(server.gatewayURL) { other in
                    let plain = try await other.post(
                        "/dashboard/sign-in", [("client_id", server.credentials.clientID), ("api_key", server.credentials.apiKey)]
                    )
                    #expect(plain.header("set-cookie")?.contains("Secure") == false)
                }
            }
        }
    }

    @Test("CSRF: a POST without the token or after sign-out is refused with 403; with it, cancel and refund work")
    func csrfAndActions() async throws {
        try await Running.with(.embedded) { server in
            let token = try await server.login()
            let pending = try await server.api("pa/payment_intents/create", token: token, seed000Request())
            let pendingID = try #require(pending.data["order_id"] as? String)
            let paid = try await server.api("pa/payment_intents/create", token: token, seed001Request(amount: "12.50"))
            let paidID = try #require(paid.data["order_id"] as? String)
            let code = try #require((paid.data["next_action"] as? [String: Any])?["url"] as? String)

            try await ConsoleBrowser.with(server.gatewayURL) { browser in
                let list = try await browser.signIn(server.credentials)
                #expect(list.body.contains(pendingID) && list.body.contains(paidID) && list.body.contains("12.5 HKD") || list.body.contains("12.50 HKD"))
                let csrf = try ConsoleBrowser.csrf(list.body)

                let searched = try await browser.get("/dashboard/payments?q=\(paidID)")
                #expect(searched.body.contains(paidID) && !searched.body.contains(pendingID))
                let badFilter = try await browser.get("/dashboard/payments?status=LOST&from=2026-13-01")
                #expect(badFilter.status == 200 && badFilter.body.contains("status: must be one of"))

                // The QR code of the pending csb_qrcode intent, behind the session.
                let detail = try await browser.get("/dashboard/payments/\(paidID)")
                #expect(detail.body.contains("qr.png") && detail.body.contains(HTMLText.escape(code)))
                let png = try await browser.get("/dashboard/payments/\(paidID)/qr.png")
                #expect(png.status == 200 && png.header("content-type") == "image/png")
                try await ConsoleBrowser.with(server.gatewayURL) { stranger in
                    let answer = try await stranger.get("/dashboard/payments/\(paidID)/qr.png")
                    #expect(answer.status == 303)
                }

                // No token, a wrong token: refused, nothing changes.
                let without = try await browser.post("/dashboard/payments/\(pendingID)/cancel", [])
                #expect(without.status == 403 && without.body.contains("csrf_token"))
                let forged = try await browser.post("/dashboard/payments/\(pendingID)/cancel", [("csrf_token", String(repeating: "0", count: 64))])
                #expect(forged.status == 403)
                #expect(try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"\#(pendingID)"}"#).data["status"] as? String == "PENDING")

                let cancelled = try await browser.post("/dashboard/payments/\(pendingID)/cancel", [("csrf_token", csrf)])
                #expect(cancelled.status == 303)
                #expect(try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"\#(pendingID)"}"#).data["status"] as? String == "CANCELLED")

                // The shopper pays through the sandbox's helper, then a partial refund with the API's rules.
                let simulated = try await browser.post("/dashboard/payments/\(paidID)/simulate", [("csrf_token", csrf), ("outcome", "success")])
                #expect(simulated.status == 303)
                #expect(try await server.awaitFinal(orderID: paidID, token: token).data["status"] as? String == "SUCCEEDED")
                let tooMuch = try await browser.post("/dashboard/payments/\(paidID)/refund", [("csrf_token", csrf), ("amount", "99")])
                #expect(tooMuch.status == 422)
                let badAmount = try await browser.post("/dashboard/payments/\(paidID)/refund", [("csrf_token", csrf), ("amount", "1.234")])
                #expect(badAmount.status == 400 && badAmount.body.contains("amount"))
                // The form's merchant_refund_id makes a double click one refund.
                let form = try await browser.get("/dashboard/payments/\(paidID)")
                let key = try #require(form.body.firstMatch(of: /name="merchant_refund_id" value="(dash-[0-9a-f]{24})"/)?.1)
                let refund = [("csrf_token", csrf), ("amount", "2.5"), ("merchant_refund_id", String(key))]
                let refunded = try await browser.post("/dashboard/payments/\(paidID)/refund", refund)
                #expect(refunded.status == 303)
                #expect(try await browser.post("/dashboard/payments/\(paidID)/refund", refund).status == 303)
                let once = try await server.api("pa/payment_intents/query", token: token, #"{"order_id":"\#(paidID)"}"#)
                #expect(once.data["refunded_amount"] as? String == "2.5")
                let timeline = try await browser.get("/dashboard/payments/\(paidID)")
                #expect(timeline.body.contains("Refund") && timeline.body.contains("2.5 HKD") && timeline.body.contains("payment_success"))
                #expect(timeline.body.contains("Provider call <code>pay</code>") && timeline.body.contains("<code>refund</code>"))
                #expect(timeline.body.contains("Provider notification <code>PAYMENT_RESULT</code>"))

                // After sign-out the same cookie and token open nothing.
                let oldCookie = try #require(await browser.cookie("shroff_dashboard"))
                #expect(try await browser.post("/dashboard/sign-out", [("csrf_token", csrf)]).status == 303)
                await browser.setCookie("shroff_dashboard", oldCookie)
                let after = try await browser.post("/dashboard/payments/\(paidID)/refund", [("csrf_token", csrf), ("amount", "1")])
                #expect(after.status == 403)
                #expect(try await browser.get("/dashboard/payments").status == 303)
            }
        }
    }

    @Test("the operator console has its own token and refuses a merchant's session; a disabled merchant cannot sign in")
    func operatorConsole() async throws {
        try await Running.with(.embedded, adjust: { $0.operatorToken = Self.operatorToken }) { server in
            try await ConsoleBrowser.with(server.gatewayURL) { merchant in
                _ = try await merchant.signIn(server.credentials)
                let refused = try await merchant.get("/operator")
                #expect(refused.status == 403 && refused.body.contains("merchant"))
                // The merchant's session token in the operator cookie is no better.
                await merchant.setCookie("shroff_operator", try #require(await merchant.cookie("shroff_dashboard")))
                #expect(try await merchant.get("/operator").status != 200)
                let withKey = try await merchant.post("/operator/sign-in", [("operator_token", server.credentials.apiKey)])
                #expect(withKey.status == 401)
            }
            try await ConsoleBrowser.with(server.gatewayURL) { op in
                #expect(try await op.post("/operator/sign-in", [("operator_token", "wrong-token-wrong-token")]).status == 401)
                #expect(try await op.post("/operator/sign-in", [("operator_token", Self.operatorToken)]).status == 303)
                let home = try await op.get("/operator")
                #expect(home.status == 200 && home.body.contains(server.credentials.clientID) && !home.body.contains(Self.operatorToken))
                let csrf = try ConsoleBrowser.csrf(home.body)
                #expect(try await op.get("/dashboard/payments").status == 303)
                #expect(try await op.post("/operator/merchants/\(server.credentials.uid)/disable", []).status == 403)
                #expect(try await op.post("/operator/merchants/\(server.credentials.uid)/disable", [("csrf_token", csrf)]).status == 303)
                let login = try await server.send(.POST, "\(server.gatewayURL)/mch-api/v1/authentication/login", headers: [
                    ("x-client-id", server.credentials.clientID), ("x-api-key", server.credentials.apiKey),
                ])
                #expect(login.status == 401 && login.message.contains("disabled"))
                try await ConsoleBrowser.with(server.gatewayURL) { merchant in
                    let answer = try await merchant.post(
                        "/dashboard/sign-in", [("client_id", server.credentials.clientID), ("api_key", server.credentials.apiKey)]
                    )
                    #expect(answer.status == 401 && answer.body.contains("disabled"))
                }
                #expect(try await op.post("/operator/merchants/\(server.credentials.uid)/enable", [("csrf_token", csrf)]).status == 303)
                _ = try await server.login()
            }
        }
    }

    @Test("pages escape what merchants and shoppers sent; webhooks: settings, resend, a rotated secret shown once")
    func escapingAndWebhooks() async throws {
        try await Running.with(.embedded) { server in
            let token = try await server.login()
            let hostile = seed001Request().replacingOccurrences(of: "\"Instore Payment\"", with: #""<script>alert('x')</script>""#)
            let created = try await server.api("pa/payment_intents/create", token: token, hostile)
            let orderID = try #require(created.data["order_id"] as? String, "\(created.body)")
            try await ConsoleBrowser.with(server.gatewayURL) { browser in
                let list = try await browser.signIn(server.credentials)
                let csrf = try ConsoleBrowser.csrf(list.body)
                let page = try await browser.get("/dashboard/payments/\(orderID)")
                #expect(!page.body.contains("<script>") && page.body.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
                #expect(try await browser.get("/dashboard/payments/CNOSUCHORDER").status == 404)
                let long = try await browser.get("/dashboard/payments?q=" + String(repeating: "x", count: 40))
                #expect(long.body.contains("q: must be at most 32 characters"))
                // A quote with a combining mark is still a quote to the browser; a cursor past any
                // storable time is refused, not a crash.
                let mark = try await browser.get("/dashboard/payments?q=%22%CC%B8%3E")
                #expect(mark.status == 200 && !mark.body.contains("\"\u{338}>") && mark.body.contains("&quot;\u{338}&gt;"))
                let far = try await browser.get("/dashboard/payments?before=9223372036854775807.x")
                #expect(far.status == 200 && far.body.contains("before: must be the link of a previous page"))
                #expect(try await browser.get("/dashboard/payments").status == 200)

                let badURL = try await browser.post("/dashboard/webhooks/settings", [("csrf_token", csrf), ("default_notify_url", "ftp://x")])
                #expect(badURL.status == 400 && badURL.body.contains("default_notify_url"))
                let saved = try await browser.post(
                    "/dashboard/webhooks/settings", [("csrf_token", csrf), ("default_notify_url", "https://shop.example.com/hooks")]
                )
                #expect(saved.status == 303)
                let settings = try await server.api("webhooks/settings/query", token: token, "{}")
                #expect(settings.data["default_notify_url"] as? String == "https://shop.example.com/hooks")

                let badGrace = try await browser.post("/dashboard/webhooks/rotate", [("csrf_token", csrf), ("grace_hours", "999")])
                #expect(badGrace.status == 400 && badGrace.body.contains("grace_hours"))
                let rotated = try await browser.post("/dashboard/webhooks/rotate", [("csrf_token", csrf), ("grace_hours", "1")])
                let secret = try #require(rotated.body.firstMatch(of: /id="new-secret">(whsec_[A-Za-z0-9+\/=]+)</).map { String($0.1) })
                #expect(secret != server.credentials.webhookSecret)
                let webhooks = try await browser.get("/dashboard/webhooks")
                #expect(webhooks.status == 200 && !webhooks.body.contains(secret) && !webhooks.body.contains(server.credentials.webhookSecret))
                #expect(try await browser.post("/dashboard/webhooks/resend", [("csrf_token", csrf), ("webhook_id", "msg_nope")]).status == 404)
            }
        }
    }

    @Test("the payment list answers well under 100 ms with 10,000 payments")
    func listSpeed() async throws {
        try await Running.with(.embedded) { server in
            try await DashboardSeed.insert(10_000, into: server)
            try await ConsoleBrowser.with(server.gatewayURL) { browser in
                _ = try await browser.signIn(server.credentials)
                for path in ["/dashboard/payments", "/dashboard/payments?status=SUCCEEDED&flow=csb_qrcode", "/dashboard/payments?q=M5000", "/dashboard"] {
                    _ = try await browser.get(path)
                    let started = ContinuousClock.now
                    let answer = try await browser.get(path)
                    let elapsed = ContinuousClock.now - started
                    #expect(answer.status == 200)
                    #expect(elapsed < .milliseconds(100), "\(path) took \(elapsed)")
                }
                let searched = try await browser.get("/dashboard/payments?q=M5000")
                #expect(searched.body.contains("M5000"))
                let page = try await browser.get("/dashboard/payments")
                let next = try #require(page.body.firstMatch(of: /href="(\/dashboard\/payments\?before=[^"]+)"/))
                let older = try await browser.get(String(next.1).replacingOccurrences(of: "&amp;", with: "&"))
                #expect(older.status == 200 && older.body.contains("Newest payments"))
            }
        }
    }
}

extension DashboardTests {
    /// Gets `path` until its page contains `text` (the request log and node health are written in
    /// the background), or `seconds` pass.
    static func eventually(_ browser: ConsoleBrowser, _ path: String, contains text: String, seconds: Int = 10) async throws -> Running.Answer {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            let answer = try await browser.get(path)
            if answer.body.contains(text) || ContinuousClock.now > deadline { return answer }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test("the request log: a refused call is found by its rid with its code; secrets are not stored")
    func requestLog() async throws {
        try await Running.with(.embedded) { server in
            let token = try await server.login()
            let refused = try await server.api("pa/payment_intents/query", token: token, #"{"order_id":5}"#)
            #expect(refused.code == 40001, "\(refused.body)")
            let rid = try #require(refused.json["rid"] as? String)
            let rotated = try await server.api("webhooks/secret/rotate", token: token, #"{"grace_period_seconds":60}"#)
            let secret = try #require(rotated.data["webhook_secret"] as? String, "\(rotated.body)")
            let rotationRID = try #require(rotated.json["rid"] as? String)
            // A call without a token names no merchant: not recorded.
            let anonymous = try await server.api("pa/payment_intents/query", token: nil, #"{"order_id":"C1"}"#)
            let anonymousRID = try #require(anonymous.json["rid"] as? String)
            try await ConsoleBrowser.with(server.gatewayURL) { browser in
                let list = try await browser.signIn(server.credentials)
                #expect(list.body.contains("href=\"/dashboard/requests\""))
                let found = try await Self.eventually(browser, "/dashboard/requests?rid=\(rid)", contains: "<span class=\"mono\">\(rid)</span>")
                #expect(found.status == 200 && found.body.contains("40001") && found.body.contains("/mch-api/v1/pa/payment_intents/query"))
                #expect(!found.body.contains(rotationRID))
                let detailPath = try #require(found.body.firstMatch(of: /href="(\/dashboard\/requests\/[0-9]+)"/).map { String($0.1) })
                let detail = try await browser.get(detailPath)
                #expect(detail.body.contains("&quot;order_id&quot;:5") && detail.body.contains("invalid_parameter"))

                let rotation = try await Self.eventually(
                    browser, "/dashboard/requests?rid=\(rotationRID)", contains: "<span class=\"mono\">\(rotationRID)</span>"
                )
                let rotationPath = try #require(rotation.body.firstMatch(of: /href="(\/dashboard\/requests\/[0-9]+)"/).map { String($0.1) })
                let rotationPage = try await browser.get(rotationPath)
                #expect(rotationPage.body.contains("webhook_secret&quot;:&quot;[redacted]"))
                #expect(!rotationPage.body.contains(secret) && !rotationPage.body.contains(token))

                let all = try await browser.get("/dashboard/requests")
                #expect(all.body.contains("/mch-api/v1/authentication/login") && !all.body.contains(anonymousRID) && !all.body.contains(token))
                let failures = try await browser.get("/dashboard/requests?status=4xx")
                #expect(failures.body.contains(rid) && !failures.body.contains(rotationRID))
                let bad = try await browser.get("/dashboard/requests?status=3xx&before=x")
                #expect(bad.status == 200 && bad.body.contains("status: must be one of"))
                #expect(try await browser.get("/dashboard/requests/999999").status == 404)
            }
        }
    }

    @Test("a paid-after-cancel alert is stored with its order id, shown on /operator with its payment, and acknowledged")
    func operatorAlerts() async throws {
        try await Running.with(adjust: { LifecycleTests.fast(&$0); $0.operatorToken = Self.operatorToken }) { server in
            let token = try await server.login()
            let created = try await server.api("pa/payment_intents/create", token: token, MobileWebTests.seed003Request(amount: "2"))
            let orderID = try #require(created.data["order_id"] as? String, "\(created.body)")
            let link = try #require((created.data["next_action"] as? [String: Any])?["url"] as? String)
            let wapURL = try #require(try await MobileWebTests.openCheckout(link).location)
            let cancelled = try await server.api("pa/payment_intents/cancel", token: token, #"{"order_id":"\#(orderID)"}"#)
            #expect(cancelled.data["status"] as? String == "CANCELLED", "\(cancelled.body)")
            #expect(try await server.send(.GET, wapURL).status == 200)
            let paid = try await server.send(
                .POST, "\(server.sandboxURL)/sandbox/v1/payments/simulate", headers: [("Content-Type", "application/json")],
                body: #"{"out_trade_no":"\#(orderID)","outcome":"success"}"#
            )
            #expect(paid.status == 200, "\(paid.body)")
            try await ConsoleBrowser.with(server.gatewayURL) { op in
                #expect(try await op.post("/operator/sign-in", [("operator_token", Self.operatorToken)]).status == 303)
                let home = try await Self.eventually(op, "/operator", contains: "href=\"/operator/payments/\(orderID)\"", seconds: 20)
                #expect(home.body.contains("<code>paid_after_cancel</code></td>"), "\(home.body)")
                let payment = try await op.get("/operator/payments/\(orderID)")
                #expect(payment.status == 200 && payment.body.contains("CANCELLED") && payment.body.contains("Paid after cancel"))
                let csrf = try ConsoleBrowser.csrf(home.body)
                let form = try #require(home.body.firstMatch(of: /action="(\/operator\/alerts\/[0-9]+\/acknowledge)"/).map { String($0.1) })
                #expect(try await op.post(form, []).status == 403)
                #expect(try await op.post(form, [("csrf_token", csrf)]).status == 303)
                let after = try await op.get("/operator")
                #expect(after.body.contains("acknowledged ") && !after.body.contains(form))
                #expect(try await op.post("/operator/alerts/999999/acknowledge", [("csrf_token", csrf)]).status == 404)
            }
        }
    }

    @Test("the operator console shows this node's provider health: the breaker closed, then open after repeated failures")
    func nodeHealth() async throws {
        try await Running.with(adjust: {
            $0.operatorToken = Self.operatorToken
            $0.circuitBreakerFailures = 3
            $0.circuitBreakerOpenDuration = .seconds(60)
        }) { server in
            try await ConsoleBrowser.with(server.gatewayURL) { op in
                #expect(try await op.post("/operator/sign-in", [("operator_token", Self.operatorToken)]).status == 303)
                let home = try await Self.eventually(op, "/operator", contains: "(this node)")
                #expect(home.body.contains("alipayplus_ams") && home.body.contains("<span class=\"status\">closed</span>"), "\(home.body)")
                let token = try await server.login()
                try await LifecycleTests.control(server, #"{"operation":"pay","fault":"connection_reset","count":100}"#)
                _ = try await server.api("pa/payment_intents/create", token: token, seed000Request())
                let open = try await Self.eventually(op, "/operator", contains: "<span class=\"status\">open</span>")
                #expect(open.body.contains("<span class=\"status\">open</span> until"), "\(open.body)")
            }
        }
    }
}

/// The consoles' escaping, as the tests expect it in pages.
enum HTMLText {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}

/// Many finished payments written straight into the running server's database (the API would need
/// a provider round trip for each).
enum DashboardSeed {
    static func insert(_ count: Int, into server: Running) async throws {
        let database = try await DatabaseConnection.open(configuration: server.configuration, logger: Logger(label: "seed"))
        let hkd = try #require(Currency(code: "HKD"))
        let flows: [PaymentMethodSpec] = [
            PaymentMethodSpec(channel: .alipayhk, flow: .csbQRCode, wallet: "ALIPAYHK"),
            PaymentMethodSpec(channel: .aplus, flow: .cashier, wallet: "CONNECT_WALLET", presentmentMode: "UNIFIED", terminalType: "WEB"),
        ]
        let start = Date().addingTimeInterval(-20 * 86400)
        let store = database.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<4 {
                group.addTask {
                    for index in stride(from: lane, to: count, by: 4) {
                        let created = start.addingTimeInterval(TimeInterval(index) * 60)
                        let intent = PaymentIntent(
                            orderID: "CSEED\(index)", merchantUID: server.credentials.uid, merchantOrderID: "M\(index)",
                            amount: Money(minorUnits: Int64(100 + index), currency: hkd), description: "seeded",
                            notifyURL: nil, returnURL: nil, method: flows[index % 2], status: .succeeded, createTime: created,
                            expiresAt: created.addingTimeInterval(1800), payTime: created.addingTimeInterval(30),
                            requestFingerprint: "seed\(index)"
                        )
                        _ = try await store.insert(intent)
                    }
                }
            }
            try await group.waitForAll()
        }
        try await database.close()
    }
}
