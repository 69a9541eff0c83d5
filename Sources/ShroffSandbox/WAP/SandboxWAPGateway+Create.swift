import Foundation
import Hummingbird

/// `create_forex_trade_wap`: validates the order and answers the H5 wallet page.
extension SandboxWAPGateway {
    func create(_ parameters: [String: String], partner: String, signType: WAPSigning.SignType) async throws -> Response {
        let notifyURL = try Self.webURL(parameters, "notify_url", required: true)!
        let outTradeNo = try Self.orderNumber(parameters, "out_trade_no")
        let currency = try Self.currency(parameters)
        let totalFee = try Self.amount(parameters, "total_fee", currency: currency)
        let productCode = try Self.required(parameters, "product_code")
        guard productCode == Self.productCode else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: "product_code", "product_code must be \(Self.productCode).")
        }
        let wallet = try Self.required(parameters, "payment_inst")
        guard Self.wallets.contains(wallet) else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: "payment_inst", "payment_inst must be ALIPAYHK or ALIPAYCN.")
        }
        let returnURL = try Self.webURL(parameters, "return_url", required: false)
        let subject = try Self.optional(parameters, "subject", maxLength: 256)
        let body = try Self.optional(parameters, "body", maxLength: 400)
        let rule = try Self.optional(parameters, "timeout_rule", maxLength: 8) ?? Self.defaultTimeoutRule
        guard let timeout = Self.timeoutRules[rule] else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: "timeout_rule", "Use one of 5m, 10m, 15m, 30m, 1h, 2h, 3h, 5h, 10h, 12h, 1d.")
        }
        switch MagicAmount(minorUnits: totalFee) {
        case .unknownResult:
            throw Failure("SYSTEM_ERROR", "Magic amount …52: the gateway is busy; nothing was recorded.")
        case .riskRejected:
            throw Failure("RISK_REJECT", "Magic amount …54: the trade is refused by risk control; nothing was recorded.")
        default:
            break
        }
        let request = SandboxWAPBook.CreateRequest(
            partner: partner, outTradeNo: outTradeNo, signType: signType, currency: currency, totalFee: totalFee,
            paymentInst: wallet, subject: subject, body: body, notifyURL: notifyURL, returnURL: returnURL,
            timeoutRule: rule, timeout: timeout
        )
        switch await book.create(request, now: Date()) {
        case .trade(let trade):
            return tradePage(trade)
        case .conflict(let existing):
            throw Failure("DUPLICATE_OUT_TRADE_NO", parameter: "out_trade_no",
                          "This out_trade_no is already used by a trade of \(existing.currency) \(existing.totalFeeText) with \(existing.paymentInst).")
        }
    }
}
