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
            return Self.text("fail")
        }
        let report: WAPNotificationReceiver.Report
        do {
            report = try await wap.report(form: form)
        } catch let rejection as WAPNotificationReceiver.Rejection {
            context.logger.warning("provider notification refused", metadata: ["provider": "wap", "reason": "\(rejection)"])
            return Self.text("fail")
        } catch {
            context.logger.warning("provider notification could not be confirmed", metadata: ["provider": "wap", "error": "\(error)"])
            return Self.text("fail")
        }
        let bound = ProviderPaymentReport(
            orderID: report.orderID,
            amountMatches: { [totalFee = report.totalFee, currency = report.currency] in
                WAPNotificationReceiver.matches(totalFee: totalFee, currency: currency, $0)
            },
            providerPaymentID: report.tradeNo, event: report.event
        )
        guard try await payments.apply(bound, logger: context.logger) == .applied else { return Self.text("fail") }
        return Self.text("success")
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
            return Self.acknowledgement
        }
    }

    func apply(_ report: AMSPaymentReport, logger: Logger) async throws -> Response {
        let bound = ProviderPaymentReport(
            orderID: report.orderID, amountMatches: { [amount = report.reportedAmount] in Self.same(amount, $0) },
            providerPaymentID: report.providerPaymentID, event: report.event
        )
        switch try await payments.apply(bound, logger: logger) {
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
            return Self.amsAnswer(status: "F", code: "ORDER_NOT_EXIST", httpStatus: .ok)
        }
        guard Self.same(report.reportedAmount, refund.amount) else {
            logger.error("provider refund notification amount differs from the refund; operator attention needed")
            return Self.amsAnswer(status: "F", code: "PARAM_ILLEGAL", httpStatus: .ok)
        }
        if let known = refund.providerRefundID, !Self.same(report.providerRefundID, known) {
            logger.error("provider refund notification names another refundId than the one the provider gave us")
            return Self.amsAnswer(status: "F", code: "PARAM_ILLEGAL", httpStatus: .ok)
        }
        try await payments.applyRefund(report.event, to: refund.refundID, logger: logger)
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
