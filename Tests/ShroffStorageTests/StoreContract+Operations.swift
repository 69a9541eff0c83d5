import Foundation
import ShroffCore
import Testing

/// The operations records (request log, operator alerts, node health), on both engines.
extension StoreContract {
    static let operationsChecks: [ContractCheck] = [
        ContractCheck("the request log: newest first, keyset pages, rid and status class filters, one merchant's, pruned by age and count") {
            try await requestLogPagesAndPrunes($0.store)
        },
        ContractCheck("the request log: a batch of any size is kept whole and in its order") {
            try await requestLogKeepsLargeBatches($0.store)
        },
        ContractCheck("operator alerts: newest first with their payment, acknowledged once, pruned by age and count") {
            try await operatorAlertsAreKept($0.store)
        },
        ContractCheck("node health: a node's snapshot replaces its last one, nodes seen since a time, old ones pruned") {
            try await nodeHealthIsUpserted($0.store)
        },
    ]

    static func requestLogPagesAndPrunes(_ store: any GatewayStore) async throws {
        let start = millisDate(1_700_000_000_000)
        func entry(_ merchant: Int64, _ index: Int, status: Int = 200, code: Int? = 0, at time: Date? = nil) -> RequestLogEntry {
            RequestLogEntry(
                merchantUID: merchant, time: time ?? start.addingTimeInterval(TimeInterval(index)), method: "POST",
                path: "/mch-api/v1/pa/payment_intents/create", httpStatus: status, code: code, requestID: "rid\(merchant)-\(index)",
                latencyMilliseconds: Int64(index), requestBody: #"{"amount":"1"}"#, answerBody: #"{"code":\#(code ?? 0)}"#
            )
        }
        try await store.recordRequests((0..<5).map { entry(1, $0) } + [entry(1, 5, status: 400, code: 40001), entry(2, 0), entry(1, 6, status: 503, code: nil)])
        let all = try await store.requests(merchantUID: 1, filter: RequestLogFilter(limit: 10))
        #expect(all.map(\.requestID) == ["rid1-6", "rid1-5", "rid1-4", "rid1-3", "rid1-2", "rid1-1", "rid1-0"])
        #expect(all[1].code == 40001 && all[1].httpStatus == 400 && all[0].code == nil && all[1].time == start.addingTimeInterval(5))
        let second = try await store.requests(merchantUID: 1, filter: RequestLogFilter(beforeID: all[2].id, limit: 2))
        #expect(second.map(\.requestID) == ["rid1-3", "rid1-2"])
        #expect(try await store.requests(merchantUID: 1, filter: RequestLogFilter(requestID: "rid1-5")).map(\.code) == [40001])
        #expect(try await store.requests(merchantUID: 1, filter: RequestLogFilter(requestID: "rid2-0")).isEmpty)
        #expect(try await store.requests(merchantUID: 1, filter: RequestLogFilter(statusClass: 4)).map(\.requestID) == ["rid1-5"])
        #expect(try await store.requests(merchantUID: 1, filter: RequestLogFilter(statusClass: 5)).map(\.requestID) == ["rid1-6"])
        #expect(try await store.request(merchantUID: 1, id: all[1].id) == all[1])
        #expect(try await store.request(merchantUID: 2, id: all[1].id) == nil)

        // Older than the cut-off go, then each merchant keeps its newest `keepPerMerchant`.
        #expect(try await store.pruneRequests(before: start.addingTimeInterval(1), keepPerMerchant: 3) == 5)
        #expect(try await store.requests(merchantUID: 1, filter: RequestLogFilter()).map(\.requestID) == ["rid1-6", "rid1-5", "rid1-4"])
        #expect(try await store.requests(merchantUID: 2, filter: RequestLogFilter()).isEmpty)
    }

    static func requestLogKeepsLargeBatches(_ store: any GatewayStore) async throws {
        let start = millisDate(1_700_000_000_000)
        let entries = (0..<203).map { index in
            RequestLogEntry(
                merchantUID: 3, time: start.addingTimeInterval(TimeInterval(index)), method: "GET", path: "/mch-api/v1/p\(index)",
                httpStatus: 200 + index % 3, code: index % 2 == 0 ? nil : index, requestID: "big-\(index)", latencyMilliseconds: Int64(index),
                requestBody: "", answerBody: "{\"i\":\(index)}"
            )
        }
        try await store.recordRequests(entries)
        try await store.recordRequests(Array(entries.prefix(1)))
        var kept: [RequestLogEntry] = []
        var before: Int64?
        while true {
            let page = try await store.requests(merchantUID: 3, filter: RequestLogFilter(beforeID: before, limit: 100))
            guard let last = page.last else { break }
            kept += page
            before = last.id
        }
        #expect(kept.count == 204)
        let firstBatch = Array(kept.dropFirst().reversed())
        #expect(firstBatch.map(\.requestID) == entries.map(\.requestID))
        #expect(firstBatch.map(\.code) == entries.map(\.code) && firstBatch.map(\.answerBody) == entries.map(\.answerBody))
        #expect(firstBatch.map(\.httpStatus) == entries.map(\.httpStatus) && firstBatch.map(\.time) == entries.map(\.time))
        #expect(kept.first?.requestID == "big-0")
    }

    static func operatorAlertsAreKept(_ store: any GatewayStore) async throws {
        let time = millisDate(1_700_000_000_000)
        let conflict = RaisedAlert(.paymentConflict, merchantUID: 7, orderID: "C1", detail: "provider contradicts CANCELLED", time: time)
        let refund = RaisedAlert(.refundConflict, merchantUID: 7, orderID: "C1", refundID: "R1", detail: "contradicts", time: time.addingTimeInterval(1))
        let fault = RaisedAlert(.settlementDiscrepancy, merchantUID: nil, orderID: nil, detail: "file", time: time.addingTimeInterval(2))
        try await store.recordAlerts([conflict, refund])
        try await store.recordAlerts([fault])
        let recent = try await store.recentAlerts(limit: 10)
        #expect(recent.map(\.alert) == [fault, refund, conflict])
        #expect(recent.allSatisfy { $0.acknowledgedAt == nil })
        let acknowledged = try await store.acknowledgeAlert(id: recent[1].id, at: time.addingTimeInterval(60))
        #expect(acknowledged?.acknowledgedAt == time.addingTimeInterval(60) && acknowledged?.alert == refund)
        // A second acknowledgement keeps the first time.
        #expect(try await store.acknowledgeAlert(id: recent[1].id, at: time.addingTimeInterval(120))?.acknowledgedAt == time.addingTimeInterval(60))
        #expect(try await store.acknowledgeAlert(id: 999_999, at: time) == nil)
        #expect(try await store.pruneAlerts(before: time.addingTimeInterval(1), keep: 100) == 1)
        #expect(try await store.pruneAlerts(before: time, keep: 1) == 1)
        #expect(try await store.recentAlerts(limit: 10).map(\.alert) == [fault])
    }

    static func nodeHealthIsUpserted(_ store: any GatewayStore) async throws {
        let time = millisDate(1_700_000_000_000)
        func health(_ node: String, _ at: Date, calls: Int64, breaker: ProviderHealth.BreakerState = .closed) -> NodeHealth {
            NodeHealth(nodeID: node, updatedAt: at, providers: [
                ProviderHealth(provider: "alipayhk_wap", calls: 1, failures: 0, breaker: .closed, openUntil: nil),
                ProviderHealth(
                    provider: "alipayplus_ams", calls: calls, failures: 2, breaker: breaker,
                    openUntil: breaker == .open ? at.addingTimeInterval(30) : nil
                ),
            ])
        }
        try await store.saveNodeHealth(health("a", time, calls: 5))
        try await store.saveNodeHealth(health("b", time.addingTimeInterval(-3600), calls: 1))
        let latest = health("a", time.addingTimeInterval(5), calls: 9, breaker: .open)
        try await store.saveNodeHealth(latest)
        #expect(try await store.nodeHealth(since: time.addingTimeInterval(-60)) == [latest])
        #expect(try await store.nodeHealth(since: time.addingTimeInterval(-7200)).map(\.nodeID) == ["a", "b"])
        #expect(try await store.pruneNodeHealth(before: time) == 2)
        #expect(try await store.nodeHealth(since: .distantPast).map(\.nodeID) == ["a"])
    }
}
