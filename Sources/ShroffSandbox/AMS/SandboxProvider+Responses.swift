import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// AMS result objects, JSON answers and the provider's time format.
extension SandboxProvider {
    static func paymentFields(_ payment: SandboxPayment) -> [String: Any] {
        var fields: [String: Any] = [
            "paymentRequestId": payment.paymentRequestID, "paymentId": payment.paymentID,
            "paymentAmount": ["currency": payment.currency, "value": String(payment.value)],
            "paymentCreateTime": isoTime(payment.createTime),
        ]
        if let time = payment.paymentTime { fields["paymentTime"] = isoTime(time) }
        return fields
    }

    static func result(_ status: String, _ code: String, _ message: String) -> [String: Any] {
        ["result": ["resultStatus": status, "resultCode": code, "resultMessage": message]]
    }

    static func minorUnits(_ value: Any?) -> Int64? {
        if let text = value as? String { return text.allSatisfy(\.isNumber) ? Int64(text) : nil }
        if let number = value as? Int { return Int64(number) }
        return nil
    }

    static func json(_ object: [String: Any]) -> [UInt8] {
        SandboxJSON.bytes(object)
    }

    static func jsonResponse(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json(object))))
    }

    static func jsonError(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        jsonResponse(status, ["error": ["code": code, "message": message]])
    }

    /// ISO 8601 in Hong Kong time, as the provider writes times.
    static func isoTime(_ date: Date) -> String {
        WallClockTime(date, utcOffsetSeconds: 8 * 3600).iso8601
    }

    static func parseTime(_ text: String) -> Date? { WallClockTime.date(rfc3339: text) }
}
