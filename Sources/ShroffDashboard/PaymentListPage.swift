import Foundation
import Hummingbird
import ShroffCore

/// The payment list: newest first, a page at a time (keyset on create time and order id), searched
/// by order id or merchant order id, filtered by status, flow and creation dates.
extension MerchantDashboard {
    static var pageSize: Int { 50 }

    @Sendable func paymentList(_ request: Request, context: Context) async throws -> Response {
        let (session, merchant) = try await signedIn(request)
        let query = FormFields.query(request)
        var filter = PaymentListFilter(limit: Self.pageSize + 1)
        var problem: String?
        do {
            filter.search = try query.optional("q", maxLength: 32)
            filter.status = try query.choice("status", in: PaymentStatus.allCases.map(\.rawValue)).flatMap(PaymentStatus.init(rawValue:))
            filter.flow = try query.choice("flow", in: PaymentMethodSpec.Flow.allFlows.map(\.rawValue)).flatMap(PaymentMethodSpec.Flow.init(rawValue:))
            filter.createdFrom = try query.day("from", timestamps: timestamps)
            // "to" names the last day shown: everything before the next day's start.
            filter.createdTo = try query.day("to", timestamps: timestamps).map { $0.addingTimeInterval(24 * 3600) }
            if let cursor = try query.optional("before", maxLength: 64) {
                guard let position = PaymentListCursor(text: cursor) else {
                    throw GatewayError.invalidParameter("before", "must be the link of a previous page")
                }
                filter.before = position
            }
        } catch let error as GatewayError {
            problem = error.message
        }
        var rows: [PaymentIntent] = []
        if problem == nil { rows = try await console.intents(merchantUID: merchant.uid, filter: filter) }
        let hasMore = rows.count > Self.pageSize
        if hasMore { rows.removeLast() }
        let table = PageKit.table(
            headers: ["Created", "Order id", "Merchant order id", "Amount", "Status", "Flow", "Refunded"],
            rows: rows.map { intent in
                [
                    "<time>\(HTML.escape(time(intent.createTime)))</time>",
                    "<a href=\"/dashboard/payments/\(HTML.escape(intent.orderID))\" class=\"mono\">\(HTML.escape(intent.orderID))</a>",
                    "<span class=\"mono\">\(HTML.escape(intent.merchantOrderID))</span>",
                    "<span class=\"num\">\(HTML.escape(PageKit.money(intent.amount)))</span>",
                    "<span class=\"status\">\(HTML.escape(intent.status.rawValue))</span>",
                    HTML.escape(intent.method.flow.rawValue),
                    intent.refundedMinorUnits > 0
                        ? HTML.escape(PageKit.money(Money(minorUnits: intent.refundedMinorUnits, currency: intent.amount.currency))) : "",
                ]
            },
            empty: problem == nil ? "No payments match." : "Fix the filter above."
        )
        let pager = PageKit.pager(
            path: "/dashboard/payments", query: query, kept: ["q", "status", "flow", "from", "to"],
            older: hasMore ? rows.last.map { PaymentListCursor(createTime: $0.createTime, orderID: $0.orderID).text } : nil,
            isFirst: filter.before == nil, noun: "payments"
        )
        return page(session, title: "Payments", current: "/dashboard/payments", body: """
            \(filterForm(query))
            \(problem.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? "")
            \(table)
            \(pager)
            """)
    }

    func filterForm(_ query: FormFields) -> String {
        func value(_ name: String) -> String { HTML.escape(query.values[name] ?? "") }
        func options(_ name: String, _ all: [String]) -> String { PageKit.options(all, chosen: query.values[name]) }
        return """
            <form method="get" action="/dashboard/payments" class="filters" role="search">
            <label>Order id or merchant order id<input type="search" name="q" value="\(value("q"))" maxlength="32"></label>
            <label>Status<select name="status">\(options("status", PaymentStatus.allCases.map(\.rawValue)))</select></label>
            <label>Flow<select name="flow">\(options("flow", PaymentMethodSpec.Flow.allFlows.map(\.rawValue)))</select></label>
            <label>Created from<input type="date" name="from" value="\(value("from"))"></label>
            <label>to<input type="date" name="to" value="\(value("to"))"></label>
            <button>Search</button>
            </form>
            """
    }
}
