import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ShroffQR

/// The hosted pages a person uses in a browser: plain server-rendered HTML, no external assets,
/// readable on a phone and without colour.
extension SandboxProvider {
    static let walletNames: [(code: String, name: String)] = [
        ("ALIPAY_HK", "AlipayHK"), ("ALIPAY_CN", "Alipay"), ("TRUEMONEY", "TrueMoney"), ("TNG", "Touch 'n Go eWallet"),
        ("GCASH", "GCash"), ("DANA", "DANA"), ("BKASH", "bKash"), ("EASYPAISA", "Easypaisa"), ("KAKAOPAY", "KakaoPay"),
    ]

    /// The `codeValue` of an order-code payment: the address of its QR page, so that a phone that
    /// scans the code opens the page where the shopper pays.
    func orderCodeValue(_ payment: SandboxPayment) -> String {
        "\(configuration.publicBaseURL)/sandbox/qr/\(payment.paymentID)"
    }

    func cashierPage(paymentID: String) async throws -> Response {
        guard let payment = await ledger.payment(requestID: nil, paymentID: paymentID, now: Date()), !payment.isOrderCode else {
            return Self.page(status: .notFound, title: "Payment not found", body: "<p>This sandbox payment does not exist (the sandbox keeps payments in memory until it restarts).</p>")
        }
        guard payment.status == .processing else { return Self.finishedPage(payment) }
        let wallets: String
        if payment.presentmentMode == "TILE" {
            let offered = payment.requestedWallet == "CONNECT_WALLET"
                ? Self.walletNames : Self.walletNames.filter { $0.code == payment.requestedWallet }
            wallets = "<fieldset><legend>Choose your wallet</legend>" + offered.enumerated().map { index, wallet in
                "<label class=\"tile\"><input type=\"radio\" name=\"wallet\" value=\"\(wallet.code)\"\(index == 0 ? " checked" : "")> \(SandboxHTML.escape(wallet.name))</label>"
            }.joined() + "</fieldset>"
        } else {
            wallets = "<p>Pay with your Alipay+ wallet: one step, the wallet is picked for you.</p><input type=\"hidden\" name=\"wallet\" value=\"ALIPAY_HK\">"
        }
        return Self.page(title: "Alipay+ cashier (sandbox)", body: """
            \(Self.orderSummary(payment))
            <p class="muted">Presentment \(SandboxHTML.escape(payment.presentmentMode ?? "UNIFIED"))</p>
            <form method="post" action="/sandbox/pay/\(SandboxHTML.escape(payment.paymentID))">
            \(wallets)
            \(Self.actionButtons)
            </form>
            """)
    }

    func qrPage(paymentID: String) async throws -> Response {
        guard let payment = await ledger.payment(requestID: nil, paymentID: paymentID, now: Date()), payment.isOrderCode else {
            return Self.page(status: .notFound, title: "Order code not found", body: "<p>This sandbox order code does not exist.</p>")
        }
        guard payment.status == .processing else { return Self.finishedPage(payment) }
        let code = orderCodeValue(payment)
        // Code values are short URLs; a base URL too long for any QR version still gets a usable page.
        let image = (try? QRCode(text: code)).map {
            "<div class=\"qr\" role=\"img\" aria-label=\"QR code of the order code\">\($0.svg())</div>"
        } ?? "<p>The code value is too long for a QR code.</p>"
        let imagePath = "/sandbox/qr/\(payment.paymentID).png"
        return Self.page(title: "AlipayHK order code (sandbox)", body: """
            \(Self.orderSummary(payment))
            <figure id="qr-code">\(image)
            <figcaption>Scan with the AlipayHK or Alipay app. <a href="\(SandboxHTML.escape(imagePath))" download>Download as PNG</a></figcaption>
            </figure>
            <p>Code value:</p><pre id="code-value">\(SandboxHTML.escape(code))</pre>
            <form method="post" action="/sandbox/pay/\(SandboxHTML.escape(payment.paymentID))">
            <fieldset><legend>Scan with wallet</legend>
            \(Self.orderCodeWallets(payment))
            </fieldset>
            \(Self.actionButtons)
            </form>
            """)
    }

    /// The wallets that may scan an order code: the one the merchant named, or either Alipay wallet.
    static func orderCodeWallets(_ payment: SandboxPayment) -> String {
        let offered: [(code: String, name: String)] = payment.requestedWallet == "CONNECT_WALLET"
            ? [("ALIPAY_HK", "AlipayHK"), ("ALIPAY_CN", "Alipay (mainland)")]
            : walletNames.filter { $0.code == payment.requestedWallet }
        return offered.enumerated().map { index, wallet in
            "<label class=\"tile\"><input type=\"radio\" name=\"wallet\" value=\"\(SandboxHTML.escape(wallet.code))\"\(index == 0 ? " checked" : "")> \(SandboxHTML.escape(wallet.name))</label>"
        }.joined(separator: "\n")
    }

    /// `GET /sandbox/qr/{paymentID}.png`: the order code as a PNG image, for printing or another page.
    func qrImage(paymentID: String) async -> Response {
        guard let payment = await ledger.payment(requestID: nil, paymentID: paymentID, now: Date()), payment.isOrderCode,
              let code = try? QRCode(text: orderCodeValue(payment))
        else {
            return Self.jsonError(.notFound, "not_found", "no such sandbox order code")
        }
        var headers = HTTPFields()
        headers[.contentType] = "image/png"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: code.png(scale: 8))))
    }

    func pageAction(_ request: Request, paymentID: String) async throws -> Response {
        let form = Self.formFields(try await request.body.collect(upTo: 16 * 1024))
        guard let payment = await ledger.payment(requestID: nil, paymentID: paymentID, now: Date()) else {
            return Self.page(status: .notFound, title: "Payment not found", body: "<p>This sandbox payment does not exist.</p>")
        }
        let outcome: SandboxLedger.Outcome
        switch form["action"] {
        case "pay": outcome = .success
        case "decline": outcome = .fail
        case "abandon":
            return Self.page(title: "Payment abandoned", body: "<p>You left the payment. It stays open until it expires; the merchant is not notified.</p>")
        default:
            return Self.page(status: .badRequest, title: "Unknown action", body: "<p>Use Pay, Decline or Abandon.</p>")
        }
        switch await complete(requestID: payment.paymentRequestID, outcome: outcome, wallet: form["wallet"]) {
        case .success(let done): return Self.finishedPage(done)
        case .failure: return Self.finishedPage(payment)
        }
    }

    static let actionButtons = """
        <div class="actions">
        <button name="action" value="pay" class="pay">Pay</button>
        <button name="action" value="decline">Decline</button>
        <button name="action" value="abandon">Abandon</button>
        </div>
        """

    static func finishedPage(_ payment: SandboxPayment) -> Response {
        let outcome = payment.status == .success
            ? "Paid with \(SandboxHTML.escape(payment.walletUsed ?? "wallet"))."
            : "Not paid: \(SandboxHTML.escape(payment.status.rawValue)) (\(SandboxHTML.escape(payment.resultCode ?? "")))."
        var body = "\(orderSummary(payment))<p class=\"status\" id=\"status\">\(outcome)</p>"
        if let redirect = payment.redirectURL {
            body += "<p><a href=\"\(SandboxHTML.escape(redirect))\">Return to the merchant</a></p>"
        }
        return page(title: payment.status == .success ? "Payment complete" : "Payment not completed", body: body)
    }

    /// The amount in major units, then who is paid and for what, as the pay request named them.
    static func orderSummary(_ payment: SandboxPayment) -> String {
        var details = ""
        if let merchant = payment.merchantName, !merchant.isEmpty {
            details += "<dt>Merchant</dt><dd id=\"merchant\">\(SandboxHTML.escape(merchant))</dd>"
        }
        if let description = payment.orderDescription, !description.isEmpty {
            details += "<dt>Item</dt><dd id=\"description\">\(SandboxHTML.escape(description))</dd>"
        }
        details += "<dt>Payment</dt><dd>\(SandboxHTML.escape(payment.paymentID))</dd>"
        let amount = SandboxMoney.display(minorUnits: payment.value, currency: payment.currency)
        return "<p class=\"amount\" id=\"amount\">\(SandboxHTML.escape(amount))</p><dl>\(details)</dl>"
    }

    static func page(status: HTTPResponse.Status = .ok, title: String, body: String) -> Response {
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>\(SandboxHTML.escape(title))</title>
            <style>
            body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#222}
            h1{font-size:1.3rem}.banner{background:#fff3cd;padding:.4rem .6rem;border-radius:4px;font-size:.85rem}
            .amount{font-size:1.6rem;font-weight:600}.muted{color:#666;font-size:.85rem}.status{font-weight:600}
            dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem}dt{color:#555}dd{margin:0;word-break:break-word}
            .tile{display:block;border:1px solid #ccc;border-radius:6px;padding:.6rem;margin:.3rem 0}
            .actions button{margin:.8rem .4rem 0 0;padding:.6rem 1.2rem;font-size:1rem}.pay{background:#1677ff;color:#fff;border:0;border-radius:4px}
            figure{margin:1rem 0;text-align:center}.qr svg{display:block;width:100%;max-width:18rem;height:auto;margin:0 auto}
            pre{white-space:pre-wrap;word-break:break-all;background:#f5f5f5;padding:.5rem}
            </style></head><body>
            <p class="banner">Shroff sandbox provider: no real money moves.</p>
            <h1>\(SandboxHTML.escape(title))</h1>
            \(body)
            </body></html>
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// Reads an `application/x-www-form-urlencoded` body.
    static func formFields(_ buffer: ByteBuffer) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        return fields
    }
}
