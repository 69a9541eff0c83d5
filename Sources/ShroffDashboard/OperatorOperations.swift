import Foundation
import Hummingbird
import ShroffCore

/// The operator console's operations views: stored alerts (newest first, each with a link to its
/// payment and an acknowledge form), every node's provider health, and a payment's detail.
extension OperatorConsole {
    static var alertsShown: Int { 50 }
    /// Nodes that wrote within this window are listed.
    static var nodesWindow: TimeInterval { 300 }
    /// A node whose last snapshot is older than this (three reports missed) is marked stale.
    static var staleAfter: TimeInterval { 15 }

    func alertsSection(csrf: String, names: [Int64: String]) async throws -> String {
        let rows = try await alerts.recentAlerts(limit: Self.alertsShown).map { stored in
            let alert = stored.alert
            let payment = alert.orderID.map {
                "<a href=\"/operator/payments/\(HTML.escape($0))\" class=\"mono\">\(HTML.escape($0))</a>"
            } ?? ""
            return [
                "<time>\(HTML.escape(timestamps.string(from: alert.time)))</time>", "<code>\(HTML.escape(alert.kind.rawValue))</code>",
                alert.merchantUID.map { "<span class=\"mono\">\($0)</span> \(HTML.escape(names[$0] ?? ""))" } ?? "",
                payment + (alert.refundID.map { " refund <span class=\"mono\">\(HTML.escape($0))</span>" } ?? ""), HTML.escape(alert.detail),
                stored.acknowledgedAt.map { "acknowledged \(HTML.escape(timestamps.string(from: $0)))" }
                    ?? PageKit.actionForm("/operator/alerts/\(stored.id)/acknowledge", csrf: csrf, label: "Acknowledge"),
            ]
        }
        return """
            <p class="muted">Kinds: \(OperatorAlert.allCases.map { "<code>\($0.rawValue)</code>" }.joined(separator: ", ")). The newest \(Self.alertsShown) shown; kept 90 days (at most 100,000).</p>
            \(PageKit.table(headers: ["Raised", "Alert", "Merchant", "Payment", "Detail", ""], rows: rows, empty: "No alerts."))
            """
    }

    func nodesSection(now: Date = Date()) async throws -> String {
        let rows = try await nodes.nodeHealth(since: now.addingTimeInterval(-Self.nodesWindow)).flatMap { node in
            let age = max(0, Int(now.timeIntervalSince(node.updatedAt).rounded()))
            let seen = "\(age) s ago" + (Double(age) > Self.staleAfter ? " <span class=\"status\">STALE</span>" : "")
            let name = "<span class=\"mono\">\(HTML.escape(node.nodeID))</span>" + (node.nodeID == nodeID ? " (this node)" : "")
            return node.providers.map { provider in
                [
                    name, seen, HTML.escape(provider.provider), "<span class=\"num\">\(provider.calls)</span>",
                    "<span class=\"num\">\(provider.failures)</span>",
                    "<span class=\"status\">\(HTML.escape(provider.breaker.rawValue))</span>"
                        + (provider.openUntil.map { " until \(HTML.escape(timestamps.string(from: $0)))" } ?? ""),
                ]
            }
        }
        return """
            <p class="muted">Every node seen in the last 5 minutes; each writes a snapshot every 5 s (calls and failures since it started).</p>
            \(PageKit.table(headers: ["Node", "Last report", "Provider", "Calls", "Failures", "Circuit breaker"], rows: rows, empty: "No node has reported."))
            """
    }

    @Sendable func acknowledge(_ request: Request, context: Context) async throws -> Response {
        _ = try await sessions.requirePost(request)
        guard let text = context.parameters.get("id"), let id = Int64(text),
              let stored = try await alerts.acknowledgeAlert(id: id, at: Date()) else {
            throw GatewayError(.notFound, "id: no such alert")
        }
        context.logger.info("operator alert acknowledged", metadata: ["alert_id": "\(id)", "alert": "\(stored.alert.kind.rawValue)"])
        return PageKit.redirect("/operator?done=\(PageKit.queryValue("Alert \(id) acknowledged."))")
    }

    /// A payment as the operator sees it: its fields and refunds, without the merchant's session.
    @Sendable func paymentView(_ request: Request, context: Context) async throws -> Response {
        let session = try await sessions.require(request)
        guard let orderID = context.parameters.get("orderID"), orderID.utf8.count <= 32,
              let intent = try await intents.intent(orderID: orderID) else {
            throw GatewayError(.notFound, "order_id: no such payment")
        }
        func time(_ date: Date?) -> String? { date.map(timestamps.string(from:)) }
        let refunds = try await console.refunds(merchantUID: intent.merchantUID, orderID: orderID).map { refund in
            [
                "<span class=\"mono\">\(HTML.escape(refund.refundID))</span>", HTML.escape(PageKit.money(refund.amount)),
                "<span class=\"status\">\(HTML.escape(refund.status.rawValue))</span>", HTML.escape(refund.reason ?? ""),
                HTML.escape(time(refund.createTime) ?? ""),
            ]
        }
        return page(session, title: "Payment \(orderID)", body: """
            \(PageKit.fields([
                ("Order id", intent.orderID), ("Merchant", "\(intent.merchantUID)"), ("Merchant order id", intent.merchantOrderID),
                ("Amount", PageKit.money(intent.amount)), ("Status", intent.status.rawValue), ("Flow", intent.method.flow.rawValue),
                ("Created", time(intent.createTime)), ("Expires", time(intent.expiresAt)), ("Paid", time(intent.payTime)),
                ("Paid after cancel", time(intent.latePaymentTime)),
                ("Refunded", PageKit.money(Money(minorUnits: intent.refundedMinorUnits, currency: intent.amount.currency))),
                ("Provider payment id", intent.providerPaymentID), ("Wallet", intent.walletUsed), ("Failure code", intent.failureCode),
            ]))
            <h2>Refunds</h2>
            \(PageKit.table(headers: ["Refund id", "Amount", "Status", "Reason", "Created"], rows: refunds, empty: "No refunds."))
            <p><a href="/operator">Back to the console</a></p>
            """)
    }
}
