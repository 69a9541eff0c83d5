import Foundation
import Hummingbird
import ShroffCore

/// The request log: the merchant's own recent API calls, newest first, a page at a time (keyset on
/// the entry's id), searched by `rid`, filtered by status class; an entry's page shows both bodies
/// as stored (secrets removed, at most 8 KiB each).
extension MerchantDashboard {
    static var statusClasses: [String] { ["2xx", "4xx", "5xx"] }

    @Sendable func requestList(_ request: Request, context: Context) async throws -> Response {
        let (session, merchant) = try await signedIn(request)
        let query = FormFields.query(request)
        var filter = RequestLogFilter(limit: Self.pageSize + 1)
        var problem: String?
        do {
            filter.requestID = try query.optional("rid", maxLength: 64)
            filter.statusClass = try query.choice("status", in: Self.statusClasses).flatMap { Int($0.prefix(1)) }
            if let cursor = try query.optional("before", maxLength: 20) {
                guard let id = Int64(cursor), id > 0 else { throw GatewayError.invalidParameter("before", "must be the link of a previous page") }
                filter.beforeID = id
            }
        } catch let error as GatewayError {
            problem = error.message
        }
        var rows: [RequestLogEntry] = []
        if problem == nil { rows = try await requestLog.requests(merchantUID: merchant.uid, filter: filter) }
        let hasMore = rows.count > Self.pageSize
        if hasMore { rows.removeLast() }
        let table = PageKit.table(
            headers: ["Time", "Endpoint", "Status", "Code", "rid", "Latency"],
            rows: rows.map { entry in
                [
                    "<time>\(HTML.escape(time(entry.time)))</time>",
                    "<a href=\"/dashboard/requests/\(entry.id)\"><code>\(HTML.escape(entry.method)) \(HTML.escape(entry.path))</code></a>",
                    "<span class=\"status\">\(entry.httpStatus)</span>", entry.code.map { "<span class=\"mono\">\($0)</span>" } ?? "",
                    "<span class=\"mono\">\(HTML.escape(entry.requestID))</span>", "<span class=\"num\">\(entry.latencyMilliseconds) ms</span>",
                ]
            },
            empty: problem == nil ? "No requests match." : "Fix the filter above."
        )
        let pager = PageKit.pager(
            path: "/dashboard/requests", query: query, kept: ["rid", "status"], older: hasMore ? rows.last.map { String($0.id) } : nil,
            isFirst: filter.beforeID == nil, noun: "requests"
        )
        return page(session, title: "Requests", current: "/dashboard/requests", body: """
            <p class="muted">Your recent calls to the API, secrets removed from the bodies (at most 8 KiB of each): the newest 10,000, for 7 days.</p>
            <form method="get" action="/dashboard/requests" class="filters" role="search">
            <label>Request id (rid)<input type="search" name="rid" value="\(HTML.escape(query.values["rid"] ?? ""))" maxlength="64"></label>
            <label>Status<select name="status">\(PageKit.options(Self.statusClasses, chosen: query.values["status"]))</select></label>
            <button>Search</button>
            </form>
            \(problem.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? "")
            \(table)
            \(pager)
            """)
    }

    @Sendable func requestPage(_ request: Request, context: Context) async throws -> Response {
        let (session, merchant) = try await signedIn(request)
        guard let text = context.parameters.get("id"), let id = Int64(text),
              let entry = try await requestLog.request(merchantUID: merchant.uid, id: id) else {
            throw GatewayError(.notFound, "id: no such request in this merchant's log")
        }
        return page(session, title: "Request \(entry.requestID)", current: "/dashboard/requests", body: """
            \(PageKit.fields([
                ("Time", time(entry.time)), ("Endpoint", "\(entry.method) \(entry.path)"), ("HTTP status", "\(entry.httpStatus)"),
                ("Code", entry.code.map(String.init)), ("rid", entry.requestID), ("Latency", "\(entry.latencyMilliseconds) ms"),
            ]))
            <h2>Request body</h2>
            <pre class="mono" id="request-body">\(HTML.escape(entry.requestBody))</pre>
            <h2>Answer body</h2>
            <pre class="mono" id="answer-body">\(HTML.escape(entry.answerBody))</pre>
            <p><a href="/dashboard/requests">All requests</a></p>
            """)
    }
}
