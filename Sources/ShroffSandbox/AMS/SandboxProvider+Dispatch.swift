import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The AMS endpoints: client and signature checks, fault injection, dispatch and the signed answer.
extension SandboxProvider {
    func amsCall(_ request: Request, operation: String, path: String) async throws -> Response {
        let body = Array(try await request.body.collect(upTo: 1 << 20).readableBytesView)
        let clientID = request.headers[HTTPField.Name("client-id")!] ?? ""
        let answer: [String: Any]
        if let key = clientKeys[clientID] {
            let time = request.headers[HTTPField.Name("request-time")!] ?? ""
            let signature = request.headers[HTTPField.Name("signature")!] ?? ""
            if !ProviderSigning.isValid(header: signature, path: path, clientID: clientID, time: time, body: body, key: key) {
                logger.warning("sandbox rejected an AMS request with a bad signature", metadata: ["operation": "\(operation)"])
                answer = Self.result("F", "INVALID_SIGNATURE", "The signature is invalid.")
            } else if let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
                let injected = await faults.take(operation)
                switch injected?.fault {
                case .latency?:
                    try? await Task.sleep(for: injected!.latency)
                case .http500?:
                    return Self.jsonError(.internalServerError, "internal_error", "injected fault")
                case .connectionReset?:
                    return Self.droppedConnection()
                default:
                    break
                }
                if injected?.fault == .unknownResult {
                    answer = Self.result("U", "UNKNOWN_EXCEPTION", "An API calling is failed, which is caused by unknown reasons.")
                } else {
                    switch operation {
                    case "pay": answer = await pay(json, clientID: clientID)
                    case "inquiryPayment": answer = await inquire(json)
                    case "cancel": answer = await cancel(json)
                    case "refund": answer = await refund(json, clientID: clientID)
                    case "inquiryRefund": answer = await inquireRefund(json)
                    default: answer = Self.result("F", "API_INVALID", "API is invalid or not active.")
                    }
                }
            } else {
                answer = Self.result("F", "PARAM_ILLEGAL", "The request body is not a JSON object.")
            }
        } else {
            answer = Self.result("F", "CLIENT_INVALID", "The client is invalid.")
        }
        let responseBody = Self.json(answer)
        let responseTime = Self.isoTime(Date())
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=UTF-8"
        headers[HTTPField.Name("client-id")!] = clientID
        headers[HTTPField.Name("response-time")!] = responseTime
        headers[HTTPField.Name("signature")!] = try signing.signatureHeader(path: path, clientID: clientID, time: responseTime, body: responseBody)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: responseBody)))
    }
}
