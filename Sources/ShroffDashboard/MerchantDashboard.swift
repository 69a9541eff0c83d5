import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ShroffCore

/// Checks a merchant's client id and API key, as the API's login does (same throttle); the
/// composition root provides it. `field` names the credential in the message of a refusal.
public typealias MerchantCredentialCheck = @Sendable (
    _ clientID: String, _ apiKey: String, _ address: String, _ field: String, _ logger: Logger
) async throws -> Merchant

/// The merchant dashboard under `/dashboard`: sign in with the client id and API key, then the
/// payments (list, a payment's page with its timeline and actions), webhooks, the request log and an overview.
/// Server-rendered HTML, no scripts, nothing from elsewhere. Never reads the API's Bearer token.
public struct MerchantDashboard<Context: ConsoleRequestContext>: Sendable {
    let merchants: any MerchantStore
    let intents: any PaymentIntentStore
    let webhooks: any WebhookStore
    let console: any ConsoleStore
    let activity: any ProviderActivityLog
    let requestLog: any RequestLogStore
    let payments: PaymentService
    let checkCredentials: MerchantCredentialCheck
    let timestamps: TimestampFormat
    /// The embedded sandbox's base URL: then pages show a test-mode banner and the shopper buttons.
    let sandbox: SandboxSimulator?
    let sessions: ConsoleSessions
    let pages = ConsolePages<Context>(home: "/dashboard")
    /// The settlements page and a payment's settlement (`SettlementsPage.swift`).
    public var settlements: (any SettlementStore)?

    public init(
        merchants: any MerchantStore, intents: any PaymentIntentStore, webhooks: any WebhookStore, console: any ConsoleStore,
        activity: any ProviderActivityLog, requestLog: any RequestLogStore, payments: PaymentService, checkCredentials: @escaping MerchantCredentialCheck, timestamps: TimestampFormat,
        sandboxBaseURL: String?, sessionLifetime: TimeInterval = 12 * 3600, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.merchants = merchants
        self.intents = intents
        self.webhooks = webhooks
        self.console = console
        self.activity = activity
        self.requestLog = requestLog
        self.payments = payments
        self.checkCredentials = checkCredentials
        self.timestamps = timestamps
        self.sandbox = sandboxBaseURL.map(SandboxSimulator.init(baseURL:))
        self.sessions = ConsoleSessions(store: console, kind: .merchant, lifetime: sessionLifetime, now: now)
    }

    public func register(on router: Router<Context>) {
        router.get("/dashboard/assets/style.css") { _, _ in PageKit.stylesheet() }
        router.get("/dashboard", use: pages.guarded(overview))
        router.get("/dashboard/sign-in", use: pages.guarded(signInPage))
        router.post("/dashboard/sign-in", use: pages.guarded(signIn))
        router.post("/dashboard/sign-out", use: pages.guarded(signOut))
        router.get("/dashboard/payments", use: pages.guarded(paymentList))
        router.get("/dashboard/payments/:orderID", use: pages.guarded(paymentPage))
        router.get("/dashboard/payments/:orderID/qr.png", use: pages.guarded(qrImage))
        router.post("/dashboard/payments/:orderID/cancel", use: pages.guarded(cancel))
        router.post("/dashboard/payments/:orderID/refund", use: pages.guarded(refund))
        router.post("/dashboard/payments/:orderID/simulate", use: pages.guarded(simulate))
        router.get("/dashboard/webhooks", use: pages.guarded(webhookList))
        router.post("/dashboard/webhooks/resend", use: pages.guarded(resendWebhook))
        router.post("/dashboard/webhooks/settings", use: pages.guarded(updateSettings))
        router.post("/dashboard/webhooks/rotate", use: pages.guarded(rotateSecret))
        router.get("/dashboard/requests", use: pages.guarded(requestList))
        router.get("/dashboard/requests/:id", use: pages.guarded(requestPage))
        router.get("/dashboard/settlements", use: pages.guarded(settlementList))
    }

    static var navigation: [PageKit.NavItem] {
        [.init(label: "Overview", path: "/dashboard"), .init(label: "Payments", path: "/dashboard/payments"),
         .init(label: "Webhooks", path: "/dashboard/webhooks"), .init(label: "Settlements", path: "/dashboard/settlements"),
         .init(label: "Requests", path: "/dashboard/requests")]
    }

    /// A page of a signed-in merchant.
    func page(
        _ session: ConsoleSession, status: HTTPResponse.Status = .ok, title: String, heading: String? = nil, current: String, body: String
    ) -> Response {
        PageKit.page(
            status: status, title: title, heading: heading, nav: Self.navigation, current: current, csrf: session.csrfToken,
            signOutPath: "/dashboard/sign-out", banner: sandbox == nil ? nil : "Test mode: payments go to the embedded sandbox; no real money moves.",
            body: body
        )
    }

    /// The signed-in merchant (refused when it was disabled since).
    func merchant(of session: ConsoleSession) async throws -> Merchant {
        guard let uid = session.merchantUID, let merchant = try await merchants.merchant(uid: uid), !merchant.isDisabled else {
            throw ConsoleRefusal.signInRequired(signInPath: sessions.signInPath)
        }
        return merchant
    }

    func signedIn(_ request: Request) async throws -> (ConsoleSession, Merchant) {
        let session = try await sessions.require(request)
        return (session, try await merchant(of: session))
    }

    func postedBy(_ request: Request) async throws -> (ConsoleSession, Merchant, FormFields) {
        let (session, form) = try await sessions.requirePost(request)
        return (session, try await merchant(of: session), form)
    }

    // MARK: Signing in and out

    @Sendable func signInPage(_ request: Request, context: Context) async throws -> Response {
        if try await sessions.current(request) != nil { return PageKit.redirect("/dashboard/payments") }
        return signInForm(status: .ok, message: nil)
    }

    func signInForm(status: HTTPResponse.Status, message: String?) -> Response {
        PageKit.page(status: status, title: "Sign in", heading: "Sign in to the Shroff dashboard", body: """
            \(message.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? "")
            <form method="post" action="/dashboard/sign-in">
            <p><label>Client id<input name="client_id" autocomplete="username" required maxlength="64"></label></p>
            <p><label>API key<input name="api_key" type="password" autocomplete="current-password" required maxlength="128"></label></p>
            <p><button>Sign in</button></p>
            </form>
            <p class="muted">The client id and API key are those <code>shroff merchants create</code> printed.</p>
            """)
    }

    @Sendable func signIn(_ request: Request, context: Context) async throws -> Response {
        let form = try await FormFields.read(request)
        do {
            let clientID = try form.required("client_id", maxLength: 64)
            let apiKey = try form.required("api_key", maxLength: 128)
            let merchant = try await checkCredentials(clientID, apiKey, context.consolePeerAddress, "api_key", context.logger)
            let (_, cookie) = try await sessions.start(merchantUID: merchant.uid, request: request)
            context.logger.info("dashboard sign-in", metadata: ["merchant_uid": "\(merchant.uid)"])
            return PageKit.redirect("/dashboard/payments", setCookies: [cookie])
        } catch let error as GatewayError {
            return signInForm(status: HTTPResponse.Status(code: error.kind.httpStatus), message: error.message)
        }
    }

    @Sendable func signOut(_ request: Request, context: Context) async throws -> Response {
        let (session, _) = try await sessions.requirePost(request)
        let cookie = try await sessions.end(session, request: request)
        return PageKit.redirect(sessions.signInPath, setCookies: [cookie])
    }

    // MARK: Helpers

    func time(_ date: Date?) -> String { date.map(timestamps.string(from:)) ?? "" }

    func notice(_ request: Request) -> String {
        guard let text = try? FormFields.query(request).optional("done", maxLength: 200) else { return "" }
        return "<p class=\"notice\" role=\"status\">\(HTML.escape(text))</p>"
    }

    /// Back to `path` with a message shown once.
    static func done(_ path: String, _ message: String) -> Response {
        let query = PageKit.queryValue(message)
        return PageKit.redirect("\(path)?done=\(query)")
    }

    func orderID(_ context: Context) throws -> String {
        guard let orderID = context.parameters.get("orderID"), !orderID.isEmpty, orderID.utf8.count <= 32 else {
            throw GatewayError.invalidParameter("order_id", "must be 1 to 32 characters")
        }
        return orderID
    }

    func intent(_ merchant: Merchant, _ context: Context) async throws -> PaymentIntent {
        let orderID = try orderID(context)
        guard let intent = try await intents.intent(merchantUID: merchant.uid, orderID: orderID) else {
            throw GatewayError(.notFound, "order_id: no payment \(orderID) for this merchant")
        }
        return intent
    }
}
