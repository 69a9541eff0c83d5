import Foundation
import Hummingbird
import ShroffCore

/// The webhooks page: deliveries (failed first, by status), resend, the default notify URL and the
/// signing secret's rotation. The same store methods as the webhook API.
extension MerchantDashboard {
    @Sendable func webhookList(_ request: Request, context: Context) async throws -> Response {
        let (session, merchant) = try await signedIn(request)
        let query = FormFields.query(request)
        var status: DeliveryStatus?
        var problem: String?
        do {
            status = try query.choice("status", in: DeliveryStatus.allCases.map(\.rawValue)).flatMap(DeliveryStatus.init(rawValue:))
        } catch {
            problem = error.message
        }
        // Failed first, then the rest; newest of each first.
        var shown: [WebhookDelivery] = []
        for wanted in status.map({ [$0] }) ?? [.failed, .pending, .noEndpoint, .succeeded] where problem == nil {
            shown += try await console.recentDeliveries(merchantUID: merchant.uid, status: wanted, limit: 50)
        }
        let csrf = session.csrfToken
        let rows = shown.map { delivery in
            [
                "<time>\(HTML.escape(time(delivery.event.createdAt)))</time>",
                "<span class=\"status\">\(HTML.escape(delivery.status.rawValue))</span>",
                HTML.escape(delivery.event.kind.rawValue),
                "<a href=\"/dashboard/payments/\(HTML.escape(delivery.event.orderID))#timeline\" class=\"mono\">\(HTML.escape(delivery.event.orderID))</a>",
                "\(delivery.attemptCount)", HTML.escape(delivery.lastError ?? ""),
                PageKit.actionForm(
                    "/dashboard/webhooks/resend", csrf: csrf, label: "Resend",
                    extra: "<input type=\"hidden\" name=\"webhook_id\" value=\"\(HTML.escape(delivery.event.id))\">"
                ),
            ]
        }
        let chosen = query.values["status"] ?? ""
        let options = "<option value=\"\">any (failed first)</option>" + DeliveryStatus.allCases.map {
            "<option\($0.rawValue == chosen ? " selected" : "")>\(HTML.escape($0.rawValue))</option>"
        }.joined()
        return page(session, title: "Webhooks", current: "/dashboard/webhooks", body: """
            \(notice(request))
            <form method="get" action="/dashboard/webhooks" class="filters"><label>Status<select name="status">\(options)</select></label><button>Show</button></form>
            \(problem.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? "")
            \(PageKit.table(headers: ["Created", "Status", "Type", "Order id", "Attempts", "Last error", ""], rows: rows, empty: "No webhooks yet."))
            <h2>Settings</h2>
            <form method="post" action="/dashboard/webhooks/settings" class="filters">\(PageKit.csrfField(csrf))
            <label>Default notify URL (used when an intent names none; empty removes it)<input name="default_notify_url" type="url" size="50" maxlength="1024" value="\(HTML.escape(merchant.defaultNotifyURL ?? ""))"></label>
            <button>Save</button></form>
            <h2>Signing secret</h2>
            <p>Rotating makes a new secret; the old one keeps signing (both signatures are sent) for the grace period. The new secret is shown once.</p>
            <form method="post" action="/dashboard/webhooks/rotate" class="filters">\(PageKit.csrfField(csrf))
            <label>Grace period (hours, 0–168)<input name="grace_hours" inputmode="numeric" value="24" maxlength="3"></label>
            <button class="danger">Rotate secret</button></form>
            """)
    }

    @Sendable func resendWebhook(_ request: Request, context: Context) async throws -> Response {
        let (_, merchant, form) = try await postedBy(request)
        let eventID = try form.required("webhook_id", maxLength: 64)
        guard try await webhooks.requeue(merchantUID: merchant.uid, eventID: eventID, now: Date()) != nil else {
            throw GatewayError(.notFound, "webhook_id: no such webhook")
        }
        context.logger.info("webhook resend requested", metadata: ["webhook_id": "\(eventID)"])
        // Back to the payment page it was sent from, never to another site.
        var back = "/dashboard/webhooks"
        if let from = try form.optional("back", maxLength: 64), from.hasPrefix("/dashboard/payments/"), !from.contains("?"), !from.contains("//") {
            back = from
        }
        return Self.done(back, "Webhook \(eventID) is queued again.")
    }

    @Sendable func updateSettings(_ request: Request, context: Context) async throws -> Response {
        let (_, merchant, form) = try await postedBy(request)
        let url = try form.optional("default_notify_url", maxLength: 1024)
            .map { try CreateIntentRequest.requireHTTPURL($0, field: "default_notify_url").normalized }
        _ = try await merchants.setDefaultNotifyURL(uid: merchant.uid, url: url)
        return Self.done("/dashboard/webhooks", url.map { "Default notify URL is \($0)." } ?? "Default notify URL removed.")
    }

    @Sendable func rotateSecret(_ request: Request, context: Context) async throws -> Response {
        let (session, merchant, form) = try await postedBy(request)
        let hoursText = try form.optional("grace_hours", maxLength: 3) ?? "24"
        guard let hours = Int(hoursText), (0...168).contains(hours) else {
            throw GatewayError.invalidParameter("grace_hours", "must be a whole number of hours from 0 to 168")
        }
        let expiry = Date().addingTimeInterval(TimeInterval(hours * 3600))
        guard let updated = try await merchants.rotateWebhookSecret(
            uid: merchant.uid, newSecret: MerchantFactory.newWebhookSecret(), previousValidUntil: expiry
        ) else { throw ConsoleRefusal.signInRequired(signInPath: sessions.signInPath) }
        context.logger.info("webhook secret rotated", metadata: ["grace_hours": "\(hours)"])
        // The one time the secret is shown: in this answer only, never stored in a page or log.
        return page(session, title: "New signing secret", current: "/dashboard/webhooks", body: """
            <p class="notice" role="status">The signing secret was rotated. Copy it now: it is not shown again.</p>
            <p><code id="new-secret">\(HTML.escape(updated.webhookSecret))</code></p>
            <p>The previous secret keeps signing until \(HTML.escape(time(expiry))).</p>
            <p><a href="/dashboard/webhooks">Back to webhooks</a></p>
            """)
    }
}
