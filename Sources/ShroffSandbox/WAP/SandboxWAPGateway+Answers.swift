import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Response bodies: the gateway's XML, plain text and the test helpers' JSON.
extension SandboxWAPGateway {
    /// `<?xml …?><alipay><is_success>T</is_success><request>…</request><response>…</response></alipay>`,
    /// unsigned (see the README).
    static func xml(success: Bool, error: String? = nil, echo: [String: String]?, response: String?) -> Response {
        var text = #"<?xml version="1.0" encoding="UTF-8"?><alipay><is_success>\#(success ? "T" : "F")</is_success>"#
        if let error { text += "<error>\(SandboxHTML.escape(error))</error>" }
        if let echo {
            let params = echo.filter { $0.key != "sign" && $0.key != "sign_type" }
                .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { #"<param name="\#(SandboxHTML.escape($0.key))">\#(SandboxHTML.escape($0.value))</param>"# }.joined()
            text += "<request>\(params)</request>"
        }
        if let response { text += "<response>\(response)</response>" }
        text += "</alipay>"
        var headers = HTTPFields()
        headers[.contentType] = "text/xml; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Errors answer only `is_success` and `error`, as the real gateway does.
    static func xmlFailure(_ failure: Failure) -> Response {
        xml(success: false, error: failure.code, echo: nil, response: nil)
    }

    static func text(_ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func jsonError(_ code: String, _ message: String) -> [String: Any] {
        ["error": ["code": code, "message": message]]
    }

    static func jsonResponse(_ status: Int, _ object: [String: Any]) -> Response {
        let data = SandboxJSON.bytes(object)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
