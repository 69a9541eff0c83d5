import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ShroffConnectors
import ShroffCore

/// Where wallet providers report payment results: `POST /provider/ams/notify`.
struct ProviderCallbacks: Sendable {
    static let amsNotifyPath = "/provider/ams/notify"

    let receiver: AMSNotificationReceiver
    let intents: any PaymentIntentStore
    let payments: PaymentService
    /// The path the provider signs: that of the notify URL it was given, which may differ from the
    /// path seen here when a proxy rewrites it.
    let signedPath: String

    func register(on router: Router<AppRequestContext>) {
        router.post(RouterPath(stringLiteral: Self.amsNotifyPath), use: amsNotification)
    }

    @Sendable func amsNotification(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = Array(buffer: try await request.body.collect(upTo: 1 << 20))
        let report: AMSPaymentReport
        do {
            report = try receiver.paymentReport(
                header: { name in HTTPField.Name(name).flatMap { request.headers[$0] } }, path: signedPath, body: body
            )
        } catch {
            // A forged, altered or unreadable message changes nothing; the provider retries genuine ones.
            context.logger.warning("provider notification refused", metadata: [
                "reason": "\(error)", "client_id": "\(request.headers[HTTPField.Name("client-id")!]?.prefix(64) ?? "-")",
            ])
            return Self.amsAnswer(status: "F", code: error == .badSignature ? "INVALID_SIGNATURE" : "PARAM_ILLEGAL", httpStatus: .ok)
        }
        var logger = context.logger
        logger[metadataKey: "order_id"] = "\(report.orderID)"
        guard let intent = try await intents.intent(orderID: report.orderID) else {
            logger.warning("provider notification for an unknown payment")
            return Self.amsAnswer(status: "F", code: "ORDER_NOT_EXIST", httpStatus: .ok)
        }
        if let reported = report.reportedAmount,
           reported.currency != intent.amount.currency.code || reported.value != intent.amount.minorUnitsString {
            // Signed, but for a different amount than the merchant asked for: never mark it paid.
            logger.error("provider notification amount differs from the intent; operator attention needed", metadata: [
                "reported": "\(reported.value) \(reported.currency)",
                "expected": "\(intent.amount.minorUnitsString) \(intent.amount.currency.code)",
            ])
            return Self.amsAnswer(status: "F", code: "PARAM_ILLEGAL", httpStatus: .ok)
        }
        try await payments.apply(report.event, to: intent.orderID, logger: logger)
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
