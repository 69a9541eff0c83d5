import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ShroffCore
import ShroffQR

/// A payment's page: every field the query API answers and more, its timeline (created, status
/// changes, refunds, webhook events and each delivery attempt) and its actions.
extension MerchantDashboard {
    @Sendable func paymentPage(_ request: Request, context: Context) async throws -> Response {
        let (session, merchant) = try await signedIn(request)
        let intent = try await intent(merchant, context)
        let refunds = try await console.refunds(merchantUID: merchant.uid, orderID: intent.orderID)
        let events = try await webhooks.webhookDeliveries(merchantUID: merchant.uid, orderID: intent.orderID)
        var attempts: [String: [DeliveryAttempt]] = [:]
        for delivery in events { attempts[delivery.event.id] = try await webhooks.attempts(eventID: delivery.event.id) }
        let exchanges = try await activity.providerActivity(orderID: intent.orderID, limit: 500)
        let csrf = session.csrfToken
        let path = "/dashboard/payments/\(intent.orderID)"
        return page(session, title: "Payment \(intent.orderID)", current: "/dashboard/payments", body: """
            \(notice(request))
            <p><span class="status">\(HTML.escape(intent.status.rawValue))</span> · \(HTML.escape(PageKit.money(intent.amount)))</p>
            \(details(intent))
            \(try await settlementDetails(intent))
            \(qrFigure(intent))
            <h2>Actions</h2>
            \(actions(intent, refunds: refunds, csrf: csrf, path: path))
            <h2 id="timeline">Timeline</h2>
            \(timeline(intent, refunds: refunds, events: events, attempts: attempts, provider: exchanges, csrf: csrf, path: path))
            """)
    }

    func details(_ intent: PaymentIntent) -> String {
        let currency = intent.amount.currency
        return PageKit.fields([
            ("Order id", intent.orderID), ("Merchant order id", intent.merchantOrderID),
            ("Amount", intent.amount.decimalString), ("Currency", currency.code), ("Status", intent.status.rawValue),
            ("Created", time(intent.createTime)), ("Paid", intent.payTime.map(timestamps.string(from:))),
            ("Refunded amount", Money(minorUnits: intent.refundedMinorUnits, currency: currency).decimalString),
            ("Expires", time(intent.expiresAt)), ("Description", intent.description),
            ("Channel", intent.method.channel.rawValue), ("Flow", intent.method.flow.rawValue),
            ("Wallet requested", intent.method.wallet), ("Wallet used", intent.walletUsed),
            ("Settlement currency", intent.status == .succeeded ? intent.answeredSettleCurrency : intent.method.settlementCurrency),
            ("Provider payment id", intent.providerPaymentID), ("Failure code", intent.failureCode),
            ("Notify URL", intent.notifyURL), ("Return URL", intent.returnURL),
            ("Next action", intent.status == .pending ? intent.nextAction.map { "\($0.type.rawValue): \($0.url)" } : nil),
            ("Paid after cancel", intent.latePaymentTime.map(timestamps.string(from:))),
        ])
    }

    func qrFigure(_ intent: PaymentIntent) -> String {
        guard let code = Self.qrCodeValue(intent) else { return "" }
        let image = "/dashboard/payments/\(intent.orderID)/qr.png"
        return """
            <figure class="qr" id="qr-code"><img src="\(HTML.escape(image))" alt="QR code of the order code \(HTML.escape(code))" width="264" height="264">
            <figcaption>The shopper scans this code with the wallet app. Code value: <code id="code-value">\(HTML.escape(code))</code>
            · <a href="\(HTML.escape(image))" download>PNG</a> (prints on its own page)</figcaption></figure>
            """
    }

    /// The code a csb_qrcode intent shows while it waits for the shopper.
    static func qrCodeValue(_ intent: PaymentIntent) -> String? {
        guard intent.status == .pending, let action = intent.nextAction, action.type == .renderQRCode else { return nil }
        return action.url
    }

    @Sendable func qrImage(_ request: Request, context: Context) async throws -> Response {
        let (_, merchant) = try await signedIn(request)
        let intent = try await intent(merchant, context)
        guard let code = Self.qrCodeValue(intent) else {
            throw GatewayError(.notFound, "order_id: this payment has no QR code to show (not a pending csb_qrcode payment)")
        }
        let png = try QRCode(text: code).png(scale: 8)
        var headers = PageKit.securityHeaders
        headers[.contentType] = "image/png"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: png)))
    }

    func actions(_ intent: PaymentIntent, refunds: [Refund], csrf: String, path: String) -> String {
        var parts: [String] = []
        if intent.status == .pending {
            parts.append(PageKit.actionForm("\(path)/cancel", csrf: csrf, label: "Cancel payment", danger: true))
            if sandbox != nil {
                parts.append("<p>Sandbox shopper:</p>" + SandboxSimulator.Outcome.allCases.map { outcome in
                    PageKit.actionForm(
                        "\(path)/simulate", csrf: csrf, label: outcome.label,
                        extra: "<input type=\"hidden\" name=\"outcome\" value=\"\(outcome.rawValue)\">"
                    )
                }.joined())
            }
        }
        let remaining = Self.refundable(intent, refunds: refunds)
        if intent.status == .succeeded, remaining > 0 {
            let left = Money(minorUnits: remaining, currency: intent.amount.currency)
            parts.append("""
                <form method="post" action="\(HTML.escape(path))/refund" class="filters">\(PageKit.csrfField(csrf))
                <input type="hidden" name="merchant_refund_id" value="\(Self.newRefundKey())">
                <label>Refund amount (\(HTML.escape(intent.amount.currency.code)); empty: all \(HTML.escape(left.decimalString)))<input name="amount" inputmode="decimal" maxlength="32"></label>
                <label>Reason<input name="reason" maxlength="256"></label>
                <button>Refund</button></form>
                """)
        }
        return parts.isEmpty ? "<p class=\"muted\">Nothing to do: the payment is \(HTML.escape(intent.status.rawValue)).</p>" : parts.joined(separator: "\n")
    }

    /// What can still be refunded: the amount less every refund that has not failed.
    static func refundable(_ intent: PaymentIntent, refunds: [Refund]) -> Int64 {
        intent.amount.minorUnits - refunds.filter { $0.status != .failed }.reduce(0) { $0 + $1.amount.minorUnits }
    }

    func timeline(
        _ intent: PaymentIntent, refunds: [Refund], events: [WebhookDelivery], attempts: [String: [DeliveryAttempt]],
        provider: [ProviderActivity], csrf: String, path: String
    ) -> String {
        // Ordered by time, but never before what caused it: providers report times to the second,
        // so a payment made in the same second as its intent must still come after "Created".
        var entries: [(key: Date, date: Date, order: Int, html: String)] = []
        func add(_ date: Date, notBefore: Date? = nil, _ html: String) {
            entries.append((max(date, notBefore ?? intent.createTime), date, entries.count, html))
        }
        add(intent.createTime, "Created: \(HTML.escape(PageKit.money(intent.amount))) by \(HTML.escape(intent.method.channel.rawValue)) \(HTML.escape(intent.method.flow.rawValue))")
        // A status change is placed where the gateway recorded it (its webhook event, written in the
        // same transaction), and shows the provider's time.
        func recorded(_ kinds: [WebhookEvent.Kind], mentioning text: String? = nil) -> Date? {
            events.first { kinds.contains($0.event.kind) && (text.map($0.event.body.contains) ?? true) }?.event.createdAt
        }
        if let pay = intent.payTime { add(pay, notBefore: recorded([.paymentSuccess]) ?? intent.createTime, "Status → <span class=\"status\">SUCCEEDED</span>\(intent.walletUsed.map { " (wallet \(HTML.escape($0)))" } ?? "")") }
        if intent.status == .cancelled {
            let cancelled = events.first { $0.event.kind == .paymentCancelled }?.event.createdAt ?? intent.expiresAt
            add(cancelled, "Status → <span class=\"status\">CANCELLED</span>\(intent.failureCode.map { " (\(HTML.escape($0)))" } ?? "")")
        }
        if let late = intent.latePaymentTime { add(late, "Paid after it was cancelled: refunded automatically") }
        for refund in refunds {
            add(refund.createTime, "Refund <code>\(HTML.escape(refund.refundID))</code> (\(HTML.escape(refund.merchantRefundID))) of \(HTML.escape(PageKit.money(refund.amount))) requested\(refund.reason.map { ": \(HTML.escape($0))" } ?? "")")
            if let finish = refund.finishTime {
                add(finish, notBefore: recorded([.refundSuccess, .refundFailed], mentioning: refund.refundID) ?? refund.createTime, "Refund <code>\(HTML.escape(refund.refundID))</code> → <span class=\"status\">\(HTML.escape(refund.status.rawValue))</span>\(refund.failureCode.map { " (\(HTML.escape($0)))" } ?? "")")
            }
        }
        for item in provider {
            let what = item.kind == .call ? "Provider call" : "Provider notification"
            var facts = ["<span class=\"status\">\(HTML.escape(item.outcome))</span>"]
            if let code = item.resultCode { facts.append("result code <code>\(HTML.escape(code))</code>") }
            if let latency = item.latencyMilliseconds { facts.append("\(latency) ms") }
            if let detail = item.detail { facts.append(HTML.escape(detail)) }
            add(item.time, "\(what) <code>\(HTML.escape(item.operation))</code> (\(HTML.escape(item.provider))): \(facts.joined(separator: ", "))")
        }
        for delivery in events {
            let event = delivery.event
            add(event.createdAt, """
                Webhook <code>\(HTML.escape(event.kind.rawValue))</code> <span class="mono">\(HTML.escape(event.id))</span>: \
                <span class="status">\(HTML.escape(delivery.status.rawValue))</span>\(delivery.lastError.map { " — \(HTML.escape($0))" } ?? "") \
                \(PageKit.actionForm("/dashboard/webhooks/resend", csrf: csrf, label: "Resend", extra: "<input type=\"hidden\" name=\"webhook_id\" value=\"\(HTML.escape(event.id))\"><input type=\"hidden\" name=\"back\" value=\"\(HTML.escape(path))\">"))
                """)
            for attempt in attempts[event.id] ?? [] {
                let outcome = attempt.httpStatus.map { "HTTP \($0)" } ?? "no HTTP answer"
                add(attempt.startedAt, """
                    Delivery attempt \(attempt.number) of <span class="mono">\(HTML.escape(event.id))</span> to \
                    <span class="mono">\(HTML.escape(attempt.url))</span>: \(HTML.escape(outcome)), \(attempt.latencyMilliseconds) ms\
                    \(attempt.error.map { " — \(HTML.escape($0))" } ?? " — delivered")
                    """)
            }
        }
        let items = entries.sorted { ($0.key, $0.order) < ($1.key, $1.order) }.map { entry in
            "<li><time>\(HTML.escape(time(entry.date)))</time>\(entry.html)</li>"
        }
        return "<ol class=\"timeline\">\(items.joined(separator: "\n"))</ol>"
    }

    // MARK: Actions

    @Sendable func cancel(_ request: Request, context: Context) async throws -> Response {
        let (_, merchant, _) = try await postedBy(request)
        let orderID = try orderID(context)
        let intent = try await payments.cancel(merchantUID: merchant.uid, orderID: orderID, merchantOrderID: nil, logger: context.logger)
        return Self.done("/dashboard/payments/\(orderID)", "Payment is \(intent.status.rawValue).")
    }

    /// A fresh `merchant_refund_id` for one refund form.
    static func newRefundKey() -> String { "dash-" + String(ConsoleSession.newToken().prefix(24)) }

    @Sendable func refund(_ request: Request, context: Context) async throws -> Response {
        let (_, merchant, form) = try await postedBy(request)
        let intent = try await intent(merchant, context)
        let refunds = try await console.refunds(merchantUID: merchant.uid, orderID: intent.orderID)
        let amount = try form.optional("amount", maxLength: 32)
            ?? Money(minorUnits: max(Self.refundable(intent, refunds: refunds), 0), currency: intent.amount.currency).decimalString
        var body: [String: JSONValue] = [
            "order_id": .string(intent.orderID), "amount": .string(amount),
            // The form's own key: posting it twice (a double click, a resubmit) is one refund, as in the API.
            "merchant_refund_id": .string(try form.optional("merchant_refund_id", maxLength: 32) ?? Self.newRefundKey()),
        ]
        if let reason = try form.optional("reason", maxLength: 256) { body["reason"] = .string(reason) }
        // The API's own validation and rules (amount format, refundable amount, status).
        let refund = try await payments.createRefund(try CreateRefundRequest.validate(body), merchant: merchant, logger: context.logger)
        return Self.done("/dashboard/payments/\(intent.orderID)", "Refund \(refund.refundID) of \(PageKit.money(refund.amount)): \(refund.status.rawValue).")
    }

    @Sendable func simulate(_ request: Request, context: Context) async throws -> Response {
        let (_, merchant, form) = try await postedBy(request)
        guard let sandbox else { throw GatewayError(.notFound, "outcome: there is no embedded sandbox to simulate the shopper") }
        let intent = try await intent(merchant, context)
        guard let outcome = try form.choice("outcome", in: SandboxSimulator.Outcome.allCases.map(\.rawValue)).flatMap(SandboxSimulator.Outcome.init(rawValue:)) else {
            throw GatewayError.invalidParameter("outcome", "is required")
        }
        let answer = try await sandbox.simulate(intent, outcome: outcome)
        // The sandbox notifies the gateway asynchronously: give the notification a moment.
        for _ in 0..<20 {
            if try await intents.intent(merchantUID: merchant.uid, orderID: intent.orderID)?.status != .pending { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return Self.done("/dashboard/payments/\(intent.orderID)", "Sandbox: \(answer)")
    }
}

extension WebhookStore {
    /// Every event of one intent, oldest first (an intent has a handful).
    func webhookDeliveries(merchantUID: Int64, orderID: String) async throws -> [WebhookDelivery] {
        try await deliveries(merchantUID: merchantUID, filter: DeliveryFilter(orderID: orderID, limit: 200))
    }
}
