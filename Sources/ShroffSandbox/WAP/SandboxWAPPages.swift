import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The H5 wallet pages of the WAP gateway: plain server-rendered HTML for a phone's browser, no
/// external assets. `payment_inst` picks the look: AlipayHK or Alipay (mainland).
extension SandboxWAPGateway {
    struct Brand {
        let name: String
        let localName: String
        let color: String
    }

    static func brand(_ paymentInst: String) -> Brand {
        paymentInst == "ALIPAYCN"
            ? Brand(name: "Alipay", localName: "支付宝", color: "#00a0e9")
            : Brand(name: "AlipayHK", localName: "支付寶HK", color: "#1677ff")
    }

    /// The page for a trade as it stands: the wallet's pay page while it waits, else its outcome.
    func tradePage(_ trade: SandboxWAPTrade) -> Response {
        switch trade.status {
        case .waitBuyerPay: walletPage(trade)
        case .finished: paidPage(trade)
        case .closed: closedPage(trade)
        }
    }

    func merchantName(_ trade: SandboxWAPTrade) -> String {
        partners[trade.partner]?.displayName ?? "Merchant \(trade.partner)"
    }

    func walletPage(_ trade: SandboxWAPTrade) -> Response {
        var details = "<dt>Merchant</dt><dd id=\"merchant\">\(SandboxHTML.escape(merchantName(trade)))</dd>"
        if let subject = trade.subject { details += "<dt>Item</dt><dd id=\"subject\">\(SandboxHTML.escape(subject))</dd>" }
        if let body = trade.body { details += "<dt>Details</dt><dd>\(SandboxHTML.escape(body))</dd>" }
        details += "<dt>Order</dt><dd>\(SandboxHTML.escape(trade.outTradeNo))</dd>"
        details += "<dt>Pay before</dt><dd>\(SandboxHTML.escape(WAPTime.text(trade.expiresAt))) (Beijing time)</dd>"
        return Self.page(brand: Self.brand(trade.paymentInst), title: "Confirm payment", body: """
            <p class="amount" id="amount">\(SandboxHTML.escape(trade.currency)) \(SandboxHTML.escape(trade.totalFeeText))</p>
            <dl>\(details)</dl>
            <form method="post" action="/sandbox/wap/pay/\(WAPSigning.percentEncode(trade.outTradeNo))">
            <input type="hidden" name="partner" value="\(SandboxHTML.escape(trade.partner))">
            <button name="action" value="pay" class="primary">Pay \(SandboxHTML.escape(trade.currency)) \(SandboxHTML.escape(trade.totalFeeText))</button>
            <button name="action" value="decline">Decline</button>
            <button name="action" value="abandon" class="link">Abandon (close this page)</button>
            </form>
            """)
    }

    func paidPage(_ trade: SandboxWAPTrade) -> Response {
        var body = """
            <p class="amount" id="amount">\(SandboxHTML.escape(trade.currency)) \(SandboxHTML.escape(trade.totalFeeText))</p>
            <p class="status" id="status">Paid (\(trade.status.rawValue))</p>
            <p>Paid to \(SandboxHTML.escape(merchantName(trade))) with \(SandboxHTML.escape(Self.brand(trade.paymentInst).name)).</p>
            """
        if let url = signedReturnURL(trade) {
            body += "<p><a class=\"button primary\" href=\"\(SandboxHTML.escape(url))\">Return to the merchant</a></p>"
        } else {
            body += "<p>Done. You can close this page.</p>"
        }
        return Self.page(brand: Self.brand(trade.paymentInst), title: "Payment complete", body: body)
    }

    func closedPage(_ trade: SandboxWAPTrade) -> Response {
        let reasons = [
            "USER_BALANCE_NOT_ENOUGH": "Your balance is not enough (magic amount …51).",
            "BUYER_DECLINED": "You declined the payment.",
            "BUYER_CANCELLED": "The payment was cancelled in the wallet.",
            "MERCHANT_CLOSED": "The merchant closed this order.",
            "TIMEOUT": "The time to pay (\(trade.timeoutRule)) is over.",
        ]
        var body = """
            <p class="amount" id="amount">\(SandboxHTML.escape(trade.currency)) \(SandboxHTML.escape(trade.totalFeeText))</p>
            <p class="status" id="status">Not paid (\(trade.status.rawValue))</p>
            <p>\(SandboxHTML.escape(reasons[trade.closeReason ?? ""] ?? "The trade is closed."))</p>
            """
        if let url = trade.returnURL {
            body += "<p><a class=\"button\" href=\"\(SandboxHTML.escape(url))\">Back to the merchant</a></p>"
        }
        return Self.page(brand: Self.brand(trade.paymentInst), title: "Payment not completed", body: body)
    }

    /// A refused `create_forex_trade_wap`: HTTP 200, like the real gateway, naming the code and the parameter.
    static func errorPage(_ failure: Failure) -> Response {
        var body = "<p class=\"status\">Error code: <code id=\"error-code\">\(SandboxHTML.escape(failure.code))</code></p>"
        if let parameter = failure.parameter {
            body += "<p>Parameter: <code id=\"error-parameter\">\(SandboxHTML.escape(parameter))</code></p>"
        }
        body += "<p>\(SandboxHTML.escape(failure.message))</p><p class=\"muted\">The merchant's payment request was refused; no payment was made.</p>"
        return page(brand: Brand(name: "Alipay", localName: "", color: "#555"), title: "Payment request refused", body: body)
    }

    /// `POST /sandbox/wap/pay/{out_trade_no}` with `action` = pay | decline | abandon.
    func pageAction(_ request: Request, outTradeNo: String) async throws -> Response {
        let text = String(buffer: try await request.body.collect(upTo: 16 * 1024))
        let form = WAPSigning.parseForm(Substring(text))?.fields ?? [:]
        let partner = form["partner"].flatMap { $0.isEmpty ? nil : $0 }
        guard let trade = await book.trade(partner: partner, outTradeNo: outTradeNo, tradeNo: nil, now: Date()) else {
            return Self.page(status: .notFound, brand: Self.brand(""), title: "Order not found",
                             body: "<p>This sandbox trade does not exist (the sandbox keeps trades in memory until it restarts).</p>")
        }
        let outcome: SandboxWAPBook.Outcome
        switch form["action"] {
        case "pay": outcome = .success
        case "decline": outcome = .fail
        case "abandon":
            var body = "<p class=\"status\" id=\"status\">Abandoned</p><p>You left the payment. The order stays open until it expires or the merchant closes it; the merchant is not notified.</p>"
            if let url = trade.returnURL { body += "<p><a class=\"button\" href=\"\(SandboxHTML.escape(url))\">Back to the merchant</a></p>" }
            return Self.page(brand: Self.brand(trade.paymentInst), title: "Payment abandoned", body: body)
        default:
            return Self.page(status: .badRequest, brand: Self.brand(trade.paymentInst), title: "Unknown action", body: "<p>Use Pay, Decline or Abandon.</p>")
        }
        switch await complete(partner: trade.partner, outTradeNo: trade.outTradeNo, outcome: outcome) {
        case .done(let done):
            if done.status == .finished, let url = signedReturnURL(done) {
                // Post/redirect/get: the browser goes back to the merchant with the signed return parameters.
                var headers = HTTPFields()
                headers[.location] = url
                return Response(status: .seeOther, headers: headers)
            }
            return tradePage(done)
        case .notWaiting, .notFound:
            let current = await book.trade(partner: trade.partner, outTradeNo: trade.outTradeNo, tradeNo: nil, now: Date()) ?? trade
            return tradePage(current)
        }
    }

    static func page(status: HTTPResponse.Status = .ok, brand: Brand, title: String, body: String) -> Response {
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>\(SandboxHTML.escape(title)) · \(SandboxHTML.escape(brand.name))</title>
            <style>
            *{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,sans-serif;background:#f5f5f5;color:#222}
            header{background:\(brand.color);color:#fff;padding:.9rem 1rem;font-weight:600;font-size:1.1rem}
            header small{font-weight:400;opacity:.85;margin-left:.4rem}
            .banner{background:#fff3cd;padding:.4rem 1rem;font-size:.8rem}
            main{max-width:30rem;margin:0 auto;padding:1rem}h1{font-size:1.1rem;margin:.4rem 0}
            .amount{font-size:2rem;font-weight:600;text-align:center;margin:1rem 0}.status{font-weight:600}
            dl{background:#fff;border-radius:8px;padding:.6rem 1rem;display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem}
            dt{color:#777}dd{margin:0;word-break:break-word}.muted{color:#777;font-size:.85rem}
            button,.button{display:block;width:100%;padding:.85rem;margin:.6rem 0;font-size:1rem;border-radius:8px;border:1px solid #ccc;
            background:#fff;color:#222;text-align:center;text-decoration:none}
            .primary{background:\(brand.color);color:#fff;border:0}.link{border:0;background:none;color:#777}
            </style></head><body>
            <header>\(SandboxHTML.escape(brand.name))<small>\(SandboxHTML.escape(brand.localName))</small></header>
            <p class="banner">Shroff sandbox WAP gateway: no real money moves.</p>
            <main><h1>\(SandboxHTML.escape(title))</h1>
            \(body)
            </main></body></html>
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}
