import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ShroffCore

/// Checks an operator token (constant time, throttled per address); throws a `GatewayError` naming
/// the field when it is wrong. The composition root provides it.
public typealias OperatorTokenCheck = @Sendable (_ token: String, _ address: String, _ logger: Logger) async throws -> Void

/// The operator console under `/operator`: its own credential (the operator token, never a
/// merchant's), merchants (list, create, disable), the webhook outbox backlog per merchant, stored
/// operator alerts with the payment they concern (acknowledged here), every node's provider health,
/// and this node's alert and provider call counters.
public struct OperatorConsole<Context: ConsoleRequestContext>: Sendable {
    let merchants: any MerchantStore
    let console: any ConsoleStore
    let activity: any ProviderActivityLog
    let intents: any PaymentIntentStore
    let alerts: any OperatorAlertStore
    let nodes: any NodeHealthStore
    /// This node's id in `nodes`.
    let nodeID: String
    /// nil when no operator token is configured: the console is closed.
    let checkToken: OperatorTokenCheck?
    /// This node's Prometheus exposition (its alert and provider call counters are shown).
    let metricsText: @Sendable () -> String
    let timestamps: TimestampFormat
    let sessions: ConsoleSessions
    let pages = ConsolePages<Context>(home: "/operator")
    /// Settlement discrepancies, shown in their own section (`SettlementDiscrepancySection`).
    public var settlements: (any SettlementStore)?

    public init(
        merchants: any MerchantStore, console: any ConsoleStore, activity: any ProviderActivityLog, intents: any PaymentIntentStore,
        alerts: any OperatorAlertStore, nodes: any NodeHealthStore, nodeID: String, checkToken: OperatorTokenCheck?,
        metricsText: @escaping @Sendable () -> String, timestamps: TimestampFormat, sessionLifetime: TimeInterval = 12 * 3600
    ) {
        self.merchants = merchants
        self.console = console
        self.activity = activity
        self.intents = intents
        self.alerts = alerts
        self.nodes = nodes
        self.nodeID = nodeID
        self.checkToken = checkToken
        self.metricsText = metricsText
        self.timestamps = timestamps
        self.sessions = ConsoleSessions(store: console, kind: .operator, lifetime: sessionLifetime, now: { Date() })
    }

    public func register(on router: Router<Context>) {
        router.get("/operator", use: pages.guarded(home))
        router.get("/operator/sign-in", use: pages.guarded(signInPage))
        router.post("/operator/sign-in", use: pages.guarded(signIn))
        router.post("/operator/sign-out", use: pages.guarded(signOut))
        router.post("/operator/merchants", use: pages.guarded(createMerchant))
        router.post("/operator/merchants/:uid/disable", use: pages.guarded(disable))
        router.post("/operator/merchants/:uid/enable", use: pages.guarded(enable))
        router.post("/operator/alerts/:id/acknowledge", use: pages.guarded(acknowledge))
        router.get("/operator/payments/:orderID", use: pages.guarded(paymentView))
    }

    func page(_ session: ConsoleSession, title: String, body: String) -> Response {
        PageKit.page(
            title: title, nav: [.init(label: "Operator console", path: "/operator")], current: "/operator", csrf: session.csrfToken,
            signOutPath: "/operator/sign-out", body: body
        )
    }

    @Sendable func signInPage(_ request: Request, context: Context) async throws -> Response {
        signInForm(status: .ok, message: checkToken == nil ? "The operator console is closed: set SHROFF_OPERATOR_TOKEN to open it." : nil)
    }

    func signInForm(status: HTTPResponse.Status, message: String?) -> Response {
        PageKit.page(status: status, title: "Operator sign in", body: """
            \(message.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? "")
            <form method="post" action="/operator/sign-in">
            <p><label>Operator token<input name="operator_token" type="password" autocomplete="current-password" required maxlength="256"></label></p>
            <p><button>Sign in</button></p></form>
            <p class="muted">A merchant's client id and API key do not open this console.</p>
            """)
    }

    @Sendable func signIn(_ request: Request, context: Context) async throws -> Response {
        let form = try await FormFields.read(request)
        guard let checkToken else { return signInForm(status: .forbidden, message: "operator_token: no operator token is configured (SHROFF_OPERATOR_TOKEN)") }
        do {
            try await checkToken(try form.required("operator_token", maxLength: 256), context.consolePeerAddress, context.logger)
        } catch let error as GatewayError {
            return signInForm(status: HTTPResponse.Status(code: error.kind.httpStatus), message: error.message)
        }
        let (_, cookie) = try await sessions.start(merchantUID: nil, request: request)
        context.logger.info("operator sign-in")
        return PageKit.redirect("/operator", setCookies: [cookie])
    }

    @Sendable func signOut(_ request: Request, context: Context) async throws -> Response {
        let (session, _) = try await sessions.requirePost(request)
        return PageKit.redirect(sessions.signInPath, setCookies: [try await sessions.end(session, request: request)])
    }

    @Sendable func home(_ request: Request, context: Context) async throws -> Response {
        let session = try await sessions.require(request)
        let all = try await console.allMerchants()
        let backlog = try await console.outboxBacklogByMerchant()
        let names = Dictionary(all.map { ($0.uid, $0.name) }, uniquingKeysWith: { first, _ in first })
        let csrf = session.csrfToken
        let merchantRows = all.map { merchant in
            [
                "<span class=\"mono\">\(merchant.uid)</span>", HTML.escape(merchant.name), "<span class=\"mono\">\(HTML.escape(merchant.clientID))</span>",
                HTML.escape(timestamps.string(from: merchant.createdAt)),
                merchant.disabledAt.map { "<span class=\"status\">DISABLED</span> \(HTML.escape(timestamps.string(from: $0)))" } ?? "<span class=\"status\">ACTIVE</span>",
                merchant.isDisabled
                    ? PageKit.actionForm("/operator/merchants/\(merchant.uid)/enable", csrf: csrf, label: "Enable")
                    : PageKit.actionForm("/operator/merchants/\(merchant.uid)/disable", csrf: csrf, label: "Disable", danger: true),
            ]
        }
        let backlogRows = backlog.map { row in
            [
                "<span class=\"mono\">\(row.merchantUID)</span> \(HTML.escape(names[row.merchantUID] ?? ""))", "<span class=\"num\">\(row.pending)</span>",
                "<span class=\"num\">\(row.failed)</span>", HTML.escape(row.oldestPendingCreatedAt.map(timestamps.string(from:)) ?? ""),
            ]
        }
        let metrics = metricsText().split(separator: "\n").filter {
            $0.hasPrefix("shroff_operator_alerts") || $0.hasPrefix("shroff_provider_calls")
        }
        let refused = try await activity.refusedNotifications(limit: 20).map { item in
            [
                HTML.escape(timestamps.string(from: item.time)), HTML.escape(item.provider), HTML.escape(item.operation),
                "<span class=\"mono\">\(HTML.escape(item.orderID ?? ""))</span>", HTML.escape(item.detail ?? ""),
            ]
        }
        let notice = (try? FormFields.query(request).optional("done", maxLength: 200)).flatMap { $0 }
        return page(session, title: "Operator console", body: """
            \(notice.map { "<p class=\"notice\" role=\"status\">\(HTML.escape($0))</p>" } ?? "")
            <h2>Merchants</h2>
            \(PageKit.table(headers: ["Uid", "Name", "Client id", "Created", "State", ""], rows: merchantRows, empty: "No merchants yet."))
            <form method="post" action="/operator/merchants" class="filters">\(PageKit.csrfField(csrf))
            <label>New merchant's name<input name="name" required maxlength="128"></label>
            <label>H5 domain (optional)<input name="h5_domain" maxlength="253"></label>
            <button>Create merchant</button></form>
            <h2>Webhook outbox backlog</h2>
            \(PageKit.table(headers: ["Merchant", "Pending", "Failed", "Oldest pending"], rows: backlogRows, empty: "Nothing pending or failed."))
            <h2>Operator alerts</h2>
            \(try await alertsSection(csrf: csrf, names: names))
            <h2>Provider health by node</h2>
            \(try await nodesSection())
            <h2>Refused provider notifications</h2>
            \(PageKit.table(headers: ["Received", "Provider", "Type", "Order id", "Why"], rows: refused, empty: "None refused."))
            \(try await SettlementDiscrepancySection.html(settlements, timestamps: timestamps))
            <h2>Alert and provider call counters (this node)</h2>
            <p class="muted">Counted since this node started, as its metrics export them.</p>
            \(metrics.isEmpty ? "<p class=\"muted\">None counted yet.</p>" : "<pre class=\"mono\">\(HTML.escape(metrics.joined(separator: "\n")))</pre>")
            """)
    }

    @Sendable func createMerchant(_ request: Request, context: Context) async throws -> Response {
        let (session, form) = try await sessions.requirePost(request)
        let name = try form.required("name", maxLength: 128)
        let domain = try form.optional("h5_domain", maxLength: 253)
        if let domain, domain.contains(where: { !($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) || !domain.contains(".") {
            throw GatewayError.invalidParameter("h5_domain", "must be a domain name such as shop.example.com")
        }
        let (merchant, apiKey) = MerchantFactory.make(name: name, h5Domain: domain, now: Date())
        let saved = try await merchants.createMerchant(merchant)
        context.logger.info("merchant created from the operator console", metadata: ["merchant_uid": "\(saved.uid)"])
        // The one time the API key and webhook secret are shown, as `shroff merchants create` prints them.
        return page(session, title: "Merchant created", body: """
            <p class="notice" role="status">Merchant \(saved.uid) created. Give these to the merchant now: the API key is not shown again.</p>
            \(PageKit.fields([("Uid", "\(saved.uid)"), ("Client id", saved.clientID), ("API key", apiKey), ("Webhook secret", saved.webhookSecret)]))
            <p><a href="/operator">Back to the console</a></p>
            """)
    }

    @Sendable func disable(_ request: Request, context: Context) async throws -> Response {
        try await setDisabled(request, context, at: Date())
    }

    @Sendable func enable(_ request: Request, context: Context) async throws -> Response {
        try await setDisabled(request, context, at: nil)
    }

    func setDisabled(_ request: Request, _ context: Context, at time: Date?) async throws -> Response {
        _ = try await sessions.requirePost(request)
        guard let text = context.parameters.get("uid"), let uid = Int64(text),
              let merchant = try await console.setMerchantDisabled(uid: uid, at: time) else {
            throw GatewayError(.notFound, "uid: no such merchant")
        }
        context.logger.info("merchant \(time == nil ? "enabled" : "disabled")", metadata: ["merchant_uid": "\(uid)"])
        let message = "Merchant \(merchant.uid) is \(time == nil ? "enabled" : "disabled")."
        return PageKit.redirect("/operator?done=\(PageKit.queryValue(message))")
    }
}
