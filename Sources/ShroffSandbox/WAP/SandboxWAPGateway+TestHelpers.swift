import Foundation
import Hummingbird

/// Test helpers: driving trades as the wallet page does and describing them as JSON.
extension SandboxWAPGateway {
    /// Drives a waiting trade as the wallet page's buttons do: `success` (Pay), `fail` (Decline),
    /// `cancel` (the shopper cancels in the wallet). Answers the HTTP status and JSON the
    /// `/sandbox/v1/wap/simulate` route answers.
    public func simulate(outTradeNo: String, outcome: String) async -> (status: Int, json: [String: Any]) {
        guard let outcome = SandboxWAPBook.Outcome(rawValue: outcome) else {
            return (400, Self.jsonError("invalid_parameter", "outcome: must be one of success, fail, cancel"))
        }
        switch await complete(partner: nil, outTradeNo: outTradeNo, outcome: outcome) {
        case .done(let trade):
            return (200, await describe(trade))
        case .notFound:
            return (404, Self.jsonError("not_found", "out_trade_no: no such sandbox WAP trade"))
        case .notWaiting(let status):
            return (409, Self.jsonError("invalid_state", "trade is \(status.rawValue), not WAIT_BUYER_PAY"))
        }
    }

    /// The trade with this out_trade_no (the most recent partner's), expired first if due.
    public func trade(outTradeNo: String) async -> SandboxWAPTrade? {
        await book.trade(partner: nil, outTradeNo: outTradeNo, tradeNo: nil, now: Date())
    }

    func simulateRoute(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            return Self.jsonResponse(400, Self.jsonError("invalid_request", "body must be a JSON object"))
        }
        guard let outTradeNo = json["out_trade_no"] as? String, !outTradeNo.isEmpty else {
            return Self.jsonResponse(400, Self.jsonError("invalid_parameter", "out_trade_no is required"))
        }
        let answer = await simulate(outTradeNo: outTradeNo, outcome: json["outcome"] as? String ?? "")
        return Self.jsonResponse(answer.status, answer.json)
    }

    func describe(_ trade: SandboxWAPTrade) async -> [String: Any] {
        var fields: [String: Any] = [
            "partner": trade.partner, "out_trade_no": trade.outTradeNo, "trade_no": trade.tradeNo,
            "status": trade.status.rawValue, "total_fee": trade.totalFeeText, "currency": trade.currency,
            "payment_inst": trade.paymentInst, "sign_type": trade.signType.rawValue, "timeout_rule": trade.timeoutRule,
            "gmt_create": WAPTime.text(trade.createTime), "expires_at": WAPTime.text(trade.expiresAt),
            "notify_url": trade.notifyURL,
            "refunded_amount": WAPMoney.text(trade.refundedAmount, currency: trade.currency),
            "refunds": trade.refunds.map { refund -> [String: Any] in
                var item: [String: Any] = [
                    "out_return_no": refund.outReturnNo, "return_amount": WAPMoney.text(refund.amount, currency: refund.currency),
                    "currency": refund.currency, "gmt_return": refund.gmtReturn,
                ]
                if let reason = refund.reason { item["reason"] = reason }
                return item
            },
            "notification_attempts": await notifier.attemptCount(outTradeNo: trade.outTradeNo),
        ]
        if let url = trade.returnURL { fields["return_url"] = url }
        if let time = trade.gmtPayment { fields["gmt_payment"] = WAPTime.text(time) }
        if let time = trade.gmtClose { fields["gmt_close"] = WAPTime.text(time) }
        if let reason = trade.closeReason { fields["close_reason"] = reason }
        return fields
    }
}
