import HTTPTypes
import Hummingbird
import NIOCore

/// Where a shopper's browser lands after a mobile payment when the merchant gave no return_url.
enum CheckoutPage {
    static var complete: Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>Payment submitted</title></head>
            <body style="font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem">
            <h1>Payment submitted</h1><p>You can return to the shop. The shop is told the result directly.</p></body></html>
            """
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}
