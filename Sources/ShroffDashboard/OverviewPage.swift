import Foundation
import Hummingbird
import ShroffCore

/// The overview: today and the last 30 days, count and volume by status and flow, the success
/// rate, refunds, and a bar chart drawn as SVG on the server with its numbers written beside the
/// bars (readable without colour).
extension MerchantDashboard {
    @Sendable func overview(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await sessions.current(request) else { return PageKit.redirect(sessions.signInPath) }
        let merchant = try await merchant(of: session)
        let now = Date()
        let startOfToday = Self.startOfDay(now, timestamps: timestamps)
        let today = try await console.tallies(merchantUID: merchant.uid, from: startOfToday, to: now.addingTimeInterval(1))
        let month = try await console.tallies(merchantUID: merchant.uid, from: startOfToday.addingTimeInterval(-29 * 86400), to: now.addingTimeInterval(1))
        return page(session, title: "Overview", heading: "Overview — \(merchant.name)", current: "/dashboard", body: """
            <h2>Today</h2>
            \(summary(today, chartTitle: "Payments today by status"))
            <h2>Last 30 days</h2>
            \(summary(month, chartTitle: "Payments in the last 30 days by status"))
            """)
    }

    static func startOfDay(_ date: Date, timestamps: TimestampFormat) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: timestamps.utcOffsetSeconds) ?? .gmt
        return calendar.startOfDay(for: date)
    }

    func summary(_ tallies: [PaymentTally], chartTitle: String) -> String {
        let total = tallies.reduce(0) { $0 + $1.count }
        let succeeded = tallies.filter { $0.status == .succeeded }.reduce(0) { $0 + $1.count }
        let finished = tallies.filter { $0.status != .pending }.reduce(0) { $0 + $1.count }
        let rate = finished == 0 ? "—" : String(format: "%.1f %%", Double(succeeded) * 100 / Double(finished))
        // Volumes per currency: amounts of different currencies are never added together.
        func volumes(_ rows: [PaymentTally], _ amount: (PaymentTally) -> Int64) -> String {
            let byCurrency = Dictionary(grouping: rows, by: \.currency).mapValues { $0.reduce(0) { $0 + amount($1) } }
            let text = byCurrency.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { PageKit.money(minorUnits: $0.value, currency: $0.key) }
            return text.isEmpty ? "0" : text.joined(separator: ", ")
        }
        let rows = tallies.map { tally in
            [
                "<span class=\"status\">\(HTML.escape(tally.status.rawValue))</span>", HTML.escape(tally.flow.rawValue),
                "<span class=\"num\">\(tally.count)</span>",
                HTML.escape(PageKit.money(minorUnits: tally.amountMinorUnits, currency: tally.currency)),
                HTML.escape(PageKit.money(minorUnits: tally.refundedMinorUnits, currency: tally.currency)),
            ]
        }
        let byStatus = PaymentStatus.allCases.map { status in
            (status.rawValue, tallies.filter { $0.status == status }.reduce(0) { $0 + $1.count })
        }
        return """
            \(PageKit.fields([
                ("Payments", "\(total)"), ("Succeeded", "\(succeeded)"), ("Success rate (of finished)", rate),
                ("Volume succeeded", volumes(tallies.filter { $0.status == .succeeded }, \.amountMinorUnits)),
                ("Refunded", volumes(tallies, \.refundedMinorUnits)),
            ]))
            \(Self.barChart(title: chartTitle, bars: byStatus))
            \(PageKit.table(headers: ["Status", "Flow", "Count", "Volume", "Refunded"], rows: rows, empty: "No payments in this period."))
            """
    }

    /// A horizontal bar chart: each bar's label and value are text in the SVG, and the bars differ
    /// in length and pattern only, never in colour alone.
    static func barChart(title: String, bars: [(String, Int)]) -> String {
        let largest = max(bars.map(\.1).max() ?? 0, 1)
        let rowHeight = 28, labelWidth = 110, barWidth = 300
        let height = bars.count * rowHeight + 10
        let rows = bars.enumerated().map { index, bar in
            let y = index * rowHeight + 5
            let width = bar.1 == 0 ? 0 : max(2, bar.1 * barWidth / largest)
            return """
                <text x="0" y="\(y + 17)">\(HTML.escape(bar.0))</text>\
                <rect x="\(labelWidth)" y="\(y + 4)" width="\(width)" height="18" fill="#333"/>\
                <text x="\(labelWidth + width + 6)" y="\(y + 17)">\(bar.1)</text>
                """
        }.joined(separator: "\n")
        return """
            <figure><svg role="img" aria-label="\(HTML.escape(title))" viewBox="0 0 \(labelWidth + barWidth + 60) \(height)" class="chart">
            <title>\(HTML.escape(title))</title>
            \(rows)
            </svg><figcaption class="muted">\(HTML.escape(title))</figcaption></figure>
            """
    }
}
