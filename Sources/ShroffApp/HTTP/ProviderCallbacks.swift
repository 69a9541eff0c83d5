import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ShroffConnectors
import ShroffCore

/// Where wallet providers report payment results: `POST /provider/ams/notify`.
struct ProviderCallbacks: Sendable {
    static let amsNotifyPath = "/provider/ams/notify"
    static let wapNotifyPath = "/provider/wap/notify"

    let receiver: AMSNotificationReceiver
    let refunds: any RefundStore
    let payments: PaymentService
    /// Where each notification is recorded, verified or refused, for the payment's timeline.
    let activity: any ProviderActivityLog
    /// Refused notifications mostly come from anyone who can reach the notify URLs: a few a second
    /// are recorded for the operator (signed ones refused for a mismatch share the same budget), a
    /// flood is only logged, so it cannot push real activity out of the bounded log.
    let refusalRecording = RateLimiter(perSecond: 2, burst: 30, capacity: 4)
    /// The path the provider signs: that of the notify URL it was given, which may differ from the
    /// path seen here when a proxy rewrites it.
    let signedPath: String
    let wap: WAPNotificationReceiver?

    func register(on router: Router<AppRequestContext>) {
        router.post(RouterPath(stringLiteral: Self.amsNotifyPath), use: amsNotification)
        if wap != nil { router.post(RouterPath(stringLiteral: Self.wapNotifyPath), use: wapNotification) }
    }

    /// `trade_status_sync` from the WAP gateway: verified, confirmed with `notify_verify`, applied,
    /// answered with the plain text `success` (anything else is retried by the provider).
    @Sendable func wapNotification(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let wap else { throw HTTPError(.notFound) }
        let body = String(buffer: try await request.body.collect(upTo: MerchantAPI.maximumBodyBytes))
        guard let form = WAPForm.parse(body) else {
            context.logger.warning("provider notification refused", metadata: ["provider": "wap", "reason": "malformed form"])
            await noteWAP(nil, "refused", detail: "malformed form", context)
            return Self.text("fail")
        }
        let report: WAPNotificationReceiver.Report
        do {
            report = try await wap.report(form: form)
        } catch let rejection as WAPNotificationReceiver.Rejection {
            context.logger.warning("provider notification refused", metadata: ["provider": "wap", "reason": "\(rejection)"])
            await noteWAP(nil, "refused", detail: "\(rejection)", context)
            return Self.text("fail")
        } catch {
            context.logger.warning("provider notification could not be confirmed", metadata: ["provider": "wap", "error": "\(error)"])
            await noteWAP(nil, "refused", detail: "notify_verify could not be reached", context)
            return Self.text("fail")
        }
        let bound = ProviderPaymentReport(
            orderID: report.orderID,
            amountMatches: { [totalFee = report.totalFee, currency = report.currency] in
                WAPNotificationReceiver.matches(totalFee: totalFee, currency: currency, $0)
            },
            providerPaymentID: report.tradeNo, event: report.event
        )
        let outcome = try await payments.apply(bound, logger: context.logger)
        await noteWAP(report.orderID, Self.outcomeName(outcome), detail: Self.reason(outcome), context)
        guard outcome == .applied else { return Self.text("fail") }
        return Self.text("success")
    }

    func noteWAP(_ orderID: String?, _ outcome: String, detail: String?, _ context: AppRequestContext) async {
        guard await mayRecord(outcome) else { return }
        await activity.note(
            ProviderActivity(
                orderID: orderID, time: Date(), kind: .notification, provider: "alipayhk_wap", operation: "trade_status_sync",
                outcome: outcome, detail: detail
            ),
            logger: context.logger
        )
    }

    func noteAMS(_ orderID: String?, _ type: String, _ outcome: String, code: String? = nil, detail: String? = nil, logger: Logger) async {
        guard await mayRecord(outcome) else { return }
        await activity.note(
            ProviderActivity(
                orderID: orderID, time: Date(), kind: .notification, provider: "alipayplus_ams", operation: type, outcome: outcome,
                resultCode: code, detail: detail
            ),
            logger: logger
        )
    }

    func mayRecord(_ outcome: String) async -> Bool {
        guard outcome == "refused" else { return true }
        do {
            try await refusalRecording.admit("refused")
            return true
        } catch {
            return false
        }
    }

    static func outcomeName(_ outcome: ProviderReportOutcome) -> String {
        switch outcome {
        case .applied: "applied"
        case .unknownPayment: "unknown_payment"
        case .refused: "refused"
        }
    }

    static func reason(_ outcome: ProviderReportOutcome) -> String? {
        if case .refused(let reason) = outcome { return reason }
        return nil
    }

    static func text(_ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    @Sendable func amsNotification(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = Array(buffer: try await request.body.collect(upTo: MerchantAPI.maximumBodyBytes))
        let report: AMSReport
        do {
            report = try receiver.report(
                header: { name in HTTPField.Name(name).flatMap { request.headers[$0] } }, path: signedPath, body: body
            )
        } catch {
            // A forged, altered or unreadable message changes nothing; the provider retries genuine ones.
            context.logger.warning("provider notification refused", metadata: [
                "reason": "\(error)", "client_id": "\(request.headers[HTTPField.Name("client-id")!]?.prefix(64) ?? "-")",
            ])
            await noteAMS(nil, "notification", "refused", detail: "\(error)", logger: context.logger)
            return Self.amsAnswer(status: "F", code: error == .badSignature ? "INVALID_SIGNATURE" : "PARAM_ILLEGAL", httpStatus: .ok)
        }
        switch report {
        case .payment(let payment):
            return try await apply(payment, logger: context.logger)
        case .refund(let refund):
            return try await apply(refund, logger: context.logger)
        case .paymentInProgress(let orderID, let notifyType, let resultCode):
            // Not final: acknowledged so the provider stops sending it; the final result follows.
            context.logger.info("provider notification: payment in progress", metadata: [
                "order_id": "\(orderID.prefix(64))", "notify_type": "\(notifyType)", "result_code": "\(resultCode.prefix(64))",
            ])
            await noteAMS(orderID, notifyType, "in_progress", code: resultCode, logger: context.logger)
            return Self.acknowledgement
        }
    }

    func apply(_ report: AMSPaymentReport, logger: Logger) async throws -> Response {
        let bound = ProviderPaymentReport(
            orderID: report.orderID, amountMatches: { [amount = report.reportedAmount] in Self.same(amount, $0) },
            providerPaymentID: report.providerPaymentID, event: report.event
        )
        let outcome = try await payments.apply(bound, logger: logger)
        await noteAMS(report.orderID, "PAYMENT_RESULT", Self.outcomeName(outcome), detail: Self.reason(outcome), logger: logger)
        switch outcome {
        case .applied: return Self.acknowledgement
        case .unknownPayment: return Self.amsAnswer(status: "F", code: "ORDER_NOT_EXIST", httpStatus: .ok)
        case .refused: return Self.amsAnswer(status: "F", code: "PARAM_ILLEGAL", httpStatus: .ok)
        }
    }

    func apply(_ report: AMSRefundReport, logger: Logger) async throws -> Response {
        var logger = logger
        logger[metadataKey: "refund_id"] = "\(report.refundID)"
        guard let refund = try await refunds.refund(refundID: report.refundID) else {
            logger.warning("provider notification for an unknown refund")
            await noteAMS(nil, "REFUND_RESULT", "refused", detail: "unknown refund", logger: logger)
            return Self.amsAnswer(status: "F", code: "ORDER_NOT_EXIST", httpStatus: .ok)
        }
        guard Self.same(report.reportedAmount, refund.amount) else {
            logger.error("provider refund notification amount differs from the refund; operator attention needed")
            await noteAMS(refund.orderID, "REFUND_RESULT", "refused", detail: "amount differs from the refund", logger: logger)
            return Self.amsAnswer(status: "F", code: "PARAM_ILLEGAL", httpStatus: .ok)
        }
        if let known = refund.providerRefundID, !Self.same(report.providerRefundID, known) {
            logger.error("provider refund notification names another refundId than the one the provider gave us")
            await noteAMS(refund.orderID, "REFUND_RESULT", "refused", detail: "another provider refund id", logger: logger)
            return Self.amsAnswer(status: "F", code: "PARAM_ILLEGAL", httpStatus: .ok)
        }
        try await payments.applyRefund(report.event, to: refund.refundID, logger: logger)
        await noteAMS(refund.orderID, "REFUND_RESULT", "applied", detail: "refund \(refund.refundID)", logger: logger)
        return Self.acknowledgement
    }

    /// Compared on the bytes (String equality is canonical equivalence).
    static func same(_ reported: AMSAmount, _ money: Money) -> Bool {
        same(reported.currency, money.currency.code) && same(reported.value, money.minorUnitsString)
    }

    static func same(_ reported: String?, _ expected: String) -> Bool {
        reported.map { $0.utf8.elementsEqual(expected.utf8) } ?? false
    }

    static var acknowledgement: Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=UTF-8"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: AMSNotificationReceiver.acknowledgement))
        )
    }

    /// A non-acknowledgement: the provider keeps the message and retries it on its schedule.
    static func amsAnswer(status: String, code: String, httpStatus: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=UTF-8"
        let text = #"{"result":{"resultCode":"\#(code)","resultStatus":"\#(status)","resultMessage":"\#(code)"}}"#
        return Response(status: httpStatus, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
