import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ShroffConnectors
import ShroffCore

/// `GET /checkout/h5/{order_id}?sig=…`, the link a merchant hands to the shopper for a mobile_web
/// intent: while the intent is PENDING and unexpired it answers 303 to a freshly signed WAP URL whose
/// trade closes before the intent expires; otherwise a small page saying the payment is no longer
/// available (410), never a redirect. An unsigned or wrongly signed link is 404, like an unknown one.
struct MobileCheckout: Sendable {
    let links: WAPCheckoutLinks
    let payments: PaymentService

    func register(on router: Router<AppRequestContext>) {
        router.get(RouterPath(stringLiteral: WAPCheckoutLinks.path + "/:order_id"), use: open)
    }

    @Sendable func open(_ request: Request, context: AppRequestContext) async throws -> Response {
        let orderID = context.parameters.get("order_id") ?? ""
        let signature = request.uri.queryParameters.get("sig") ?? ""
        guard orderID.count <= 64, links.isValid(orderID: orderID, signature: signature) else {
            context.logger.info("checkout link refused: bad signature")
            return Self.page(.notFound, title: "Payment not found", text: "This payment link is not valid.")
        }
        guard let url = try await payments.openTradeLink(orderID: orderID, logger: context.logger) else {
            return Self.page(.gone, title: "Payment no longer available", text: "This payment has been cancelled or has expired. Please return to the shop.")
        }
        var headers = HTTPFields()
        headers[.location] = url
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }

    static func page(_ status: HTTPResponse.Status, title: String, text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>\(title)</title></head>
            <body style="font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem">
            <h1 id="status">\(title)</h1><p>\(text)</p></body></html>
            """
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}
