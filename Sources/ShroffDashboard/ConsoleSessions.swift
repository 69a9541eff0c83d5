import Foundation
import HTTPTypes
import Hummingbird
import ShroffCore

/// What a request context must tell the consoles: the caller's address (the sign-in throttle) and
/// the request id (quoted on error pages).
public protocol ConsoleRequestContext: RequestContext {
    var consolePeerAddress: String { get }
    var consoleRequestID: String { get }
}

/// Why a console request was refused before its page ran.
enum ConsoleRefusal: Error {
    /// No valid session of the console's kind: the browser goes to the sign-in page.
    case signInRequired(signInPath: String)
    /// 403: a POST without the session's CSRF token, or a session of the other console.
    case forbidden(String)
}

/// Browser sessions of one console (merchant dashboard or operator console): a random token in an
/// HttpOnly, SameSite=Strict cookie (Secure over https), only its hash in the database, a fixed
/// lifetime, and a CSRF token checked in constant time on every POST.
struct ConsoleSessions: Sendable {
    let store: any ConsoleStore
    let kind: ConsoleSessionKind
    /// How long a session lasts from sign-in.
    let lifetime: TimeInterval
    let now: @Sendable () -> Date

    static let standardLifetime: TimeInterval = 12 * 3600

    var cookieName: String { kind == .merchant ? "shroff_dashboard" : "shroff_operator" }
    /// The other console's cookie: seen on a request it means a session of the wrong kind.
    var otherCookieName: String { kind == .merchant ? "shroff_operator" : "shroff_dashboard" }
    var home: String { kind == .merchant ? "/dashboard" : "/operator" }
    var signInPath: String { home + "/sign-in" }

    /// Starts a session; returns it with the `Set-Cookie` value that carries its token. A session the
    /// browser already had for this console ends: one sign-in, one live session per browser.
    func start(merchantUID: Int64?, request: Request) async throws -> (ConsoleSession, cookie: String) {
        if let previous = Self.cookie(named: cookieName, in: request), previous.utf8.count == 64 {
            try await store.deleteSession(tokenHash: ConsoleSession.hash(token: previous))
        }
        let token = ConsoleSession.newToken()
        let created = now()
        let session = ConsoleSession(
            tokenHash: ConsoleSession.hash(token: token), kind: kind, merchantUID: merchantUID,
            csrfToken: ConsoleSession.newToken(), createdAt: created, expiresAt: created.addingTimeInterval(lifetime)
        )
        try await store.createSession(session)
        // Sessions are few; sweeping the expired ones at each sign-in keeps the table bounded.
        try await store.deleteExpiredSessions(now: created)
        return (session, cookie(value: token, maxAge: Int(lifetime), request: request))
    }

    /// The request's session of this console's kind, or nil.
    func current(_ request: Request) async throws -> ConsoleSession? {
        guard let token = Self.cookie(named: cookieName, in: request), token.utf8.count == 64 else { return nil }
        guard let session = try await store.session(tokenHash: ConsoleSession.hash(token: token), now: now()),
              session.kind == kind else { return nil }
        return session
    }

    /// The session, or a refusal: 403 for a browser signed in only to the other console (a
    /// merchant's session never opens the operator console), else the sign-in page.
    func require(_ request: Request) async throws -> ConsoleSession {
        if let session = try await current(request) { return session }
        if Self.cookie(named: otherCookieName, in: request) != nil, kind == .operator {
            throw ConsoleRefusal.forbidden("A merchant's session cannot open the operator console. Sign in with the operator token.")
        }
        throw ConsoleRefusal.signInRequired(signInPath: signInPath)
    }

    /// For a POST: the session and the form, refused (403) without the session's CSRF token.
    func requirePost(_ request: Request) async throws -> (ConsoleSession, FormFields) {
        guard let session = try await current(request) else {
            throw ConsoleRefusal.forbidden("This form was sent without a valid session (signed out or expired). Sign in again.")
        }
        let form = try await FormFields.read(request)
        let sent = Array((form.values[PageKit.csrfFieldName] ?? "").utf8)
        guard ConstantTime.equal(sent, Array(session.csrfToken.utf8)) else {
            throw ConsoleRefusal.forbidden("This form was sent without its security token (csrf_token). Reload the page and try again.")
        }
        return (session, form)
    }

    /// Ends the session and returns the `Set-Cookie` value that removes the cookie.
    func end(_ session: ConsoleSession, request: Request) async throws -> String {
        try await store.deleteSession(tokenHash: session.tokenHash)
        return cookie(value: "", maxAge: 0, request: request)
    }

    func cookie(value: String, maxAge: Int, request: Request) -> String {
        var attributes = ["\(cookieName)=\(value)", "Path=/", "Max-Age=\(maxAge)", "HttpOnly", "SameSite=Strict"]
        if Self.isHTTPS(request) { attributes.append("Secure") }
        return attributes.joined(separator: "; ")
    }

    /// Whether the browser reached us over https, directly or through a proxy that says so.
    static func isHTTPS(_ request: Request) -> Bool {
        if request.head.scheme?.lowercased() == "https" { return true }
        let forwarded = request.headers[HTTPField.Name("X-Forwarded-Proto")!] ?? ""
        return forwarded.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() == "https" } ?? false
    }

    static func cookie(named name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }
}

/// Turns what a console handler throws into a page: the sign-in redirect, 403, a message naming
/// the field, or an internal error that shows only the request id.
struct ConsolePages<Context: ConsoleRequestContext>: Sendable {
    /// Where an error page's link leads.
    let home: String

    func guarded(
        _ handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) -> @Sendable (Request, Context) async throws -> Response {
        { request, context in
            do {
                return try await handler(request, context)
            } catch let refusal as ConsoleRefusal {
                switch refusal {
                case .signInRequired(let path):
                    return PageKit.redirect(path)
                case .forbidden(let message):
                    context.logger.info("console request refused", metadata: ["path": "\(request.uri.path)"])
                    return errorPage(.forbidden, "Refused", message)
                }
            } catch let error as GatewayError {
                return errorPage(HTTPResponse.Status(code: error.kind.httpStatus), "Not done", error.message)
            } catch {
                context.logger.error("console page failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                return errorPage(.internalServerError, "Internal error", "Something went wrong; quote rid \(context.consoleRequestID) to the operator.")
            }
        }
    }

    func errorPage(_ status: HTTPResponse.Status, _ heading: String, _ message: String) -> Response {
        PageKit.page(
            status: status, title: heading, body: "<p class=\"error\" role=\"alert\">\(HTML.escape(message))</p><p><a href=\"\(HTML.escape(home))\">Back to the start</a></p>"
        )
    }
}
