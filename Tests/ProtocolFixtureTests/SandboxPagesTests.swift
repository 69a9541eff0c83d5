import Foundation
import ShroffCore
import Testing

/// The shopper's pages of the AMS sandbox: what the pay request said, in a shopper's words.
@Suite("Sandbox shopper pages")
struct SandboxPagesTests {
    /// Sends a fixture pay request, edited by `edit`, and returns the new payment's id.
    func pay(_ server: SandboxServer, fixture: String, edit: (String) -> String = { $0 }) async throws -> String {
        let body = Array(edit(try Fixture.text(fixture)).utf8)
        let answer = try await server.signedPost("/ams/api/v1/payments/pay", body: body)
        #expect(answer.result.code == "PAYMENT_IN_PROCESS", "\(String(decoding: answer.body, as: UTF8.self))")
        return try #require(answer.json?["paymentId"]?.stringValue)
    }

    @Test("the cashier page shows the amount in major units, the merchant and the description")
    func cashierPage() async throws {
        try await SandboxServer.with { server in
            let paymentID = try await pay(server, fixture: "pay_request_cashier.json")
            let page = try await server.get("/sandbox/cashier/\(paymentID)")
            #expect(page.status == 200)
            let html = String(decoding: page.body, as: UTF8.self)
            #expect(html.contains(#"<p class="amount" id="amount">USD 1.00</p>"#))
            #expect(html.contains(#"<dd id="merchant">Test shop</dd>"#))
            #expect(html.contains(#"<dd id="description">Café latte ×2 咖啡</dd>"#))
            #expect(!html.contains("minor units"))
        }
    }

    @Test("amounts follow the currency's exponent", arguments: [
        ("HKD", "1050", "HKD 10.50"), ("JPY", "1050", "JPY 1050"), ("KRW", "50000", "KRW 50000"), ("USD", "5", "USD 0.05"),
    ])
    func amounts(currency: String, value: String, shown: String) async throws {
        try await SandboxServer.with { server in
            let paymentID = try await pay(server, fixture: "pay_request_order_code.json") {
                $0.replacingOccurrences(of: #""currency":"HKD","value":"1050""#, with: #""currency":"\#(currency)","value":"\#(value)""#)
            }
            let html = String(decoding: try await server.get("/sandbox/qr/\(paymentID)").body, as: UTF8.self)
            #expect(html.contains(#"<p class="amount" id="amount">\#(shown)</p>"#))
        }
    }

    @Test("the in-store page shows the order and the code value as an inline SVG QR code")
    func qrPage() async throws {
        try await SandboxServer.with { server in
            let paymentID = try await pay(server, fixture: "pay_request_order_code.json")
            let page = try await server.get("/sandbox/qr/\(paymentID)")
            #expect(page.status == 200)
            let html = String(decoding: page.body, as: UTF8.self)
            #expect(html.contains(#"<p class="amount" id="amount">HKD 10.50</p>"#))
            #expect(html.contains(#"<dd id="merchant">Test shop</dd>"#))
            #expect(html.contains(#"<dd id="description">Table 7</dd>"#))
            #expect(html.contains(#"<pre id="code-value">\#(SandboxServer.publicBaseURL)/sandbox/qr/\#(paymentID)</pre>"#))
            #expect(html.contains(#"<svg xmlns="http://www.w3.org/2000/svg""#))
            #expect(html.contains(#"shape-rendering="crispEdges""#))
            #expect(html.contains(#"href="/sandbox/qr/\#(paymentID).png""#))
            // Offline: nothing is fetched from elsewhere.
            #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("<link"))
        }
    }

    @Test("the order code is served as a PNG; unknown codes and cashier payments are 404")
    func qrImage() async throws {
        try await SandboxServer.with { server in
            let paymentID = try await pay(server, fixture: "pay_request_order_code.json")
            let image = try await server.get("/sandbox/qr/\(paymentID).png")
            #expect(image.status == 200)
            #expect(image.fields("content-type").map(\.value) == ["image/png"])
            #expect(image.body.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            #expect(try await server.get("/sandbox/qr/20260000000000000000000.png").status == 404)
            let cashierID = try await pay(server, fixture: "pay_request_cashier.json")
            #expect(try await server.get("/sandbox/qr/\(cashierID).png").status == 404)
        }
    }

    @Test("what the merchant wrote is escaped, never markup")
    func escaping() async throws {
        try await SandboxServer.with { server in
            let paymentID = try await pay(server, fixture: "pay_request_order_code.json") {
                $0.replacingOccurrences(of: #""merchantName":"Test shop""#, with: #""merchantName":"<b>Tom & Jerry's</b>""#)
                    .replacingOccurrences(of: #""orderDescription":"Table 7""#, with: #""orderDescription":"\"><script>alert(1)</script>""#)
            }
            let html = String(decoding: try await server.get("/sandbox/qr/\(paymentID)").body, as: UTF8.self)
            #expect(html.contains(#"<dd id="merchant">&lt;b&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;</dd>"#))
            #expect(html.contains(#"<dd id="description">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</dd>"#))
            #expect(!html.contains("<script>") && !html.contains("<b>"))
        }
    }

    @Test("a paid order code's page shows the outcome with the order")
    func paidPage() async throws {
        try await SandboxServer.with { server in
            let paymentID = try await pay(server, fixture: "pay_request_order_code.json")
            let fixture = try Fixture.json("pay_request_order_code.json")
            let requestID = try #require(fixture["paymentRequestId"]?.stringValue)
            #expect(try await server.simulate(paymentRequestID: requestID, outcome: "success").status == 200)
            let html = String(decoding: try await server.get("/sandbox/qr/\(paymentID)").body, as: UTF8.self)
            #expect(html.contains("<h1>Payment complete</h1>"))
            #expect(html.contains(#"<p class="amount" id="amount">HKD 10.50</p>"#))
            #expect(html.contains(#"<dd id="merchant">Test shop</dd>"#))
            #expect(!html.contains("<svg"))
        }
    }
}
