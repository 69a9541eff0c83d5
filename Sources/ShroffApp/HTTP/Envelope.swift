import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ShroffCore

/// The seeds' answer envelope: `{"code", "data", "message", "rid"}`; errors add `error` (and
/// `provider_code` for a provider's rejection) with `data: null`.
enum Envelope {
    static let requestIDHeader = HTTPField.Name("x-request-id")!

    struct Success<Data: Encodable>: Encodable {
        let code = 0
        let data: Data
        let message = "ok"
        let rid: String
    }

    struct Failure: Encodable {
        let code: Int
        let data: String?
        let error: String
        let message: String
        let providerCode: String?
        let rid: String

        enum CodingKeys: String, CodingKey {
            case code, data, error, message, rid
            case providerCode = "provider_code"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(code, forKey: .code)
            try container.encodeNil(forKey: .data)
            try container.encode(error, forKey: .error)
            try container.encode(message, forKey: .message)
            try container.encodeIfPresent(providerCode, forKey: .providerCode)
            try container.encode(rid, forKey: .rid)
        }
    }

    static func ok(_ data: some Encodable, context: AppRequestContext) throws -> Response {
        json(try encoder.encode(Success(data: data, rid: context.requestID)), status: .ok, requestID: context.requestID)
    }

    static func failure(_ error: GatewayError, requestID: String, status: HTTPResponse.Status? = nil) -> Response {
        let body = Failure(
            code: error.kind.code, data: nil, error: error.kind.rawValue, message: error.message,
            providerCode: error.providerCode, rid: requestID
        )
        // A struct of strings and integers always encodes.
        let bytes = (try? encoder.encode(body)) ?? Data()
        var response = json(bytes, status: status ?? HTTPResponse.Status(code: error.kind.httpStatus), requestID: requestID)
        if let retryAfter = error.retryAfterSeconds {
            response.headers[.retryAfter] = String(retryAfter)
        }
        return response
    }

    static func json(_ bytes: Data, status: HTTPResponse.Status, requestID: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[requestIDHeader] = requestID
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
