import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The hosted pages a person uses in a browser: plain server-rendered HTML, no external assets.
extension SandboxProvider {
    static let walletNames: [(code: String, name: String)] = [
        ("ALIPAY_HK", "AlipayHK"), ("ALIPAY_CN", "Alipay"), ("TRUEMONEY", "TrueMoney"), ("TNG", "Touch 'n Go eWallet"),
        ("GCASH", "GCash"), ("DANA", "DANA"), ("BKASH", "bKash"), ("EASYPAISA", "Easypaisa"), ("KAKAOPAY", "KakaoPay"),
    ]

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
                "<label class=\"tile\"><input type=\"radio\" name=\"wallet\" value=\"\(wallet.code)\"\(index == 0 ? " checked" : "")> \(Self.escape(wallet.name))</label>"
            }.joined() + "</fieldset>"
        } else {
            wallets = "<p>Pay with your Alipay+ wallet: one step, the wallet is picked for you.</p><input type=\"hidden\" name=\"wallet\" value=\"ALIPAY_HK\">"
        }
        return Self.page(title: "Alipay+ cashier (sandbox)", body: """
            <p class="amount">\(Self.escape(Self.amountText(payment)))</p>
            <p class="muted">Payment \(Self.escape(payment.paymentID)) · presentment \(Self.escape(payment.presentmentMode ?? "UNIFIED"))</p>
            <form method="post" action="/sandbox/pay/\(Self.escape(payment.paymentID))">
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
        let code = "\(configuration.publicBaseURL)/sandbox/qr/\(payment.paymentID)"
        return Self.page(title: "AlipayHK order code (sandbox)", body: """
            <p class="amount">\(Self.escape(Self.amountText(payment)))</p>
            <p>Code value to render as a QR code:</p><pre>\(Self.escape(code))</pre>
            <form method="post" action="/sandbox/pay/\(Self.escape(payment.paymentID))">
            <fieldset><legend>Scan with wallet</legend>
            <label class="tile"><input type="radio" name="wallet" value="ALIPAY_HK" checked> AlipayHK</label>
            <label class="tile"><input type="radio" name="wallet" value="ALIPAY_CN"> Alipay (mainland)</label>
            </fieldset>
            \(Self.actionButtons)
            </form>
            """)
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
            ? "Paid with \(escape(payment.walletUsed ?? "wallet"))."
            : "Not paid: \(escape(payment.status.rawValue)) (\(escape(payment.resultCode ?? "")))."
        var body = "<p class=\"amount\">\(escape(amountText(payment)))</p><p>\(outcome)</p>"
        if let redirect = payment.redirectURL {
            body += "<p><a href=\"\(escape(redirect))\">Return to the merchant</a></p>"
        }
        return page(title: payment.status == .success ? "Payment complete" : "Payment not completed", body: body)
    }

    static func amountText(_ payment: SandboxPayment) -> String {
        "\(payment.currency) \(payment.value) (minor units)"
    }

    static func page(status: HTTPResponse.Status = .ok, title: String, body: String) -> Response {
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>\(escape(title))</title>
            <style>
            body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#222}
            h1{font-size:1.3rem}.banner{background:#fff3cd;padding:.4rem .6rem;border-radius:4px;font-size:.85rem}
            .amount{font-size:1.6rem;font-weight:600}.muted{color:#666;font-size:.85rem}
            .tile{display:block;border:1px solid #ccc;border-radius:6px;padding:.6rem;margin:.3rem 0}
            .actions button{margin:.8rem .4rem 0 0;padding:.6rem 1.2rem;font-size:1rem}.pay{background:#1677ff;color:#fff;border:0;border-radius:4px}
            pre{white-space:pre-wrap;word-break:break-all;background:#f5f5f5;padding:.5rem}
            </style></head><body>
            <p class="banner">Shroff sandbox provider: no real money moves.</p>
            <h1>\(escape(title))</h1>
            \(body)
            </body></html>
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
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
