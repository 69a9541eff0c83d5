import Foundation
import Hummingbird

/// `single_trade_query`, `close_trade`, `forex_refund` and `notify_verify`.
extension SandboxWAPGateway {
    func query(_ parameters: [String: String], partner: String) async throws -> Response {
        let outTradeNo = parameters["out_trade_no"].flatMap { $0.isEmpty ? nil : $0 }
        let tradeNo = parameters["trade_no"].flatMap { $0.isEmpty ? nil : $0 }
        guard outTradeNo != nil || tradeNo != nil else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: "out_trade_no", "out_trade_no or trade_no is required.")
        }
        guard let trade = await book.trade(partner: partner, outTradeNo: outTradeNo, tradeNo: tradeNo, now: Date()) else {
            throw Failure("TRADE_NOT_EXIST", "The trade does not exist.")
        }
        var fields: [(String, String)] = [
            ("currency", trade.currency), ("gmt_create", WAPTime.text(trade.createTime)), ("out_trade_no", trade.outTradeNo),
            ("payment_inst", trade.paymentInst), ("total_fee", trade.totalFeeText), ("trade_no", trade.tradeNo),
            ("trade_status", trade.status.rawValue),
        ]
        if let body = trade.body { fields.append(("body", body)) }
        if let subject = trade.subject { fields.append(("subject", subject)) }
        if let time = trade.gmtPayment { fields.append(("gmt_payment", WAPTime.text(time))) }
        if let time = trade.gmtClose { fields.append(("gmt_close", WAPTime.text(time))) }
        if !trade.refunds.isEmpty { fields.append(("refund_fee", WAPMoney.text(trade.refundedAmount, currency: trade.currency))) }
        let elements = fields.sorted { $0.0 < $1.0 }.map { "<\($0.0)>\(SandboxHTML.escape($0.1))</\($0.0)>" }.joined()
        return Self.xml(success: true, echo: parameters, response: "<trade>\(elements)</trade>")
    }

    func close(_ parameters: [String: String], partner: String) async throws -> Response {
        let outOrderNo = parameters["out_order_no"].flatMap { $0.isEmpty ? nil : $0 }
        let tradeNo = parameters["trade_no"].flatMap { $0.isEmpty ? nil : $0 }
        guard outOrderNo != nil || tradeNo != nil else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: "out_order_no", "out_order_no or trade_no is required.")
        }
        switch await book.close(partner: partner, outTradeNo: outOrderNo, tradeNo: tradeNo, now: Date()) {
        case .closed:
            return Self.xml(success: true, echo: parameters, response: nil)
        case .failed(let code):
            throw Failure(code, code == "TRADE_NOT_EXIST" ? "The trade does not exist." : "A paid trade cannot be closed.")
        }
    }

    func refund(_ parameters: [String: String], partner: String) async throws -> Response {
        let outReturnNo = try Self.orderNumber(parameters, "out_return_no")
        let outTradeNo = try Self.required(parameters, "out_trade_no", maxLength: 64)
        let currency = try Self.currency(parameters)
        let amount = try Self.amount(parameters, "return_amount", currency: currency)
        let gmtReturn = try Self.required(parameters, "gmt_return", maxLength: 14)
        guard WAPTime.parseCompact(gmtReturn) != nil else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: "gmt_return", "gmt_return must be yyyyMMddHHmmss.")
        }
        if let productCode = parameters["product_code"], !productCode.isEmpty, productCode != Self.productCode {
            throw Failure("ILLEGAL_ARGUMENT", parameter: "product_code", "product_code must be \(Self.productCode).")
        }
        let reason = try Self.optional(parameters, "reason", maxLength: 256)
        let request = SandboxWAPBook.RefundRequest(
            partner: partner, outTradeNo: outTradeNo, outReturnNo: outReturnNo, amount: amount, currency: currency,
            reason: reason, gmtReturn: gmtReturn
        )
        switch await book.refund(request, now: Date()) {
        case .refunded:
            return Self.xml(success: true, echo: parameters, response: nil)
        case .failed(let code):
            let messages = [
                "TRADE_NOT_EXIST": "The trade does not exist.",
                "TRADE_STATUS_NOT_AVAILD": "Only a paid (TRADE_FINISHED) trade can be refunded.",
                "CURRENCY_NOT_SAME": "The refund currency is not the trade's.",
                "RETURN_AMOUNT_EXCEED": "The refunds would exceed the trade's total_fee.",
                "DUPLICATE_OUT_RETURN_NO": "This out_return_no was used for another trade or amount.",
            ]
            throw Failure(code, messages[code] ?? "The refund is refused.")
        }
    }

    // MARK: notify_verify

    /// `true` for a notify id this gateway issued to that partner in the last 15 minutes.
    func notifyVerify(_ parameters: [String: String]) async -> Bool {
        guard let partner = parameters["partner"], partners[partner] != nil,
              let notifyID = parameters["notify_id"], !notifyID.isEmpty else { return false }
        return await book.verifyNotifyID(notifyID, partner: partner, now: Date())
    }
}
