import Foundation
import Hummingbird
import ShroffCore

/// The settlements page: the merchant's parts of the providers' settlement batches, per batch and
/// day (the same store method as `pa/settlements/list`), and a payment's settlement on its page.
extension MerchantDashboard {
    @Sendable func settlementList(_ request: Request, context: Context) async throws -> Response {
        let (session, merchant) = try await signedIn(request)
        let query = FormFields.query(request)
        var problem: String?
        var days: [String?] = []
        for name in ["date_from", "date_to"] {
            let value = query.values[name].flatMap { $0.isEmpty ? nil : $0 }
            if let value, !SettlementDate.isValid(value) { problem = "\(name): must be a day written YYYY-MM-DD" }
            days.append(value)
        }
        let batches = problem != nil || settlements == nil ? [] : try await settlements!.settlementBatches(
            merchantUID: merchant.uid, from: days[0], to: days[1], limit: 200, offset: 0
        )
        let rows = batches.map { batch in
            [
                HTML.escape(batch.date), HTML.escape(batch.provider.rawValue), "<span class=\"mono\">\(HTML.escape(batch.batchID))</span>",
                "<span class=\"num\">\(batch.count)</span>", "<span class=\"num\">\(HTML.escape(PageKit.money(batch.gross)))</span>",
                "<span class=\"num\">\(HTML.escape(PageKit.money(batch.fees)))</span>", "<span class=\"num\">\(HTML.escape(PageKit.money(batch.net)))</span>",
            ]
        }
        func value(_ name: String) -> String { HTML.escape(query.values[name] ?? "") }
        return page(session, title: "Settlements", current: "/dashboard/settlements", body: """
            <p class="muted">What the providers settled of your payments and refunds, from their daily settlement files: per batch and day, the count, gross, the provider's fees and the net paid out (refunds count negative).</p>
            <form method="get" action="/dashboard/settlements" class="filters">
            <label>From<input name="date_from" placeholder="YYYY-MM-DD" maxlength="10" value="\(value("date_from"))"></label>
            <label>To<input name="date_to" placeholder="YYYY-MM-DD" maxlength="10" value="\(value("date_to"))"></label><button>Show</button></form>
            \(problem.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? "")
            \(PageKit.table(headers: ["Day", "Provider", "Batch", "Lines", "Gross", "Fees", "Net"], rows: rows, empty: "No settlements yet."))
            """)
    }

    /// A payment's settlement as the provider's files said it, for its page.
    func settlementDetails(_ intent: PaymentIntent) async throws -> String {
        guard let details = try await settlements?.settlementDetails(.payment, reference: intent.orderID) else { return "" }
        return """
            <h2 id="settlement">Settlement</h2>
            \(PageKit.fields([
                ("Provider transaction id", details.providerTransactionID), ("Settlement batch", details.batchID),
                ("Settled (gross)", details.settled.map { PageKit.money($0.gross) }), ("Fee", details.settled.map { PageKit.money($0.fee) }),
                ("Net", details.settled.map { PageKit.money($0.net) }), ("Settlement day", details.date),
            ]))
            """
    }
}
