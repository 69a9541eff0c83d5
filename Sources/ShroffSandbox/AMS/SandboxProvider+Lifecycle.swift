import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension SandboxProvider {
    // MARK: AMS cancel, refund, inquiryRefund

    func cancel(_ json: [String: Any]) async -> [String: Any] {
        switch await ledger.cancel(requestID: json["paymentRequestId"] as? String, paymentID: json["paymentId"] as? String, now: Date()) {
        case .cancelled(let payment):
            var answer = Self.result("S", "SUCCESS", "Success")
            answer["paymentId"] = payment.paymentID
            answer["paymentRequestId"] = payment.paymentRequestID
            answer["cancelTime"] = Self.isoTime(Date())
            return answer
        case .failed(let code, let message):
            return Self.result("F", code, message)
        }
    }

    func refund(_ json: [String: Any], clientID: String) async -> [String: Any] {
        let amount = json["refundAmount"] as? [String: Any]
        guard let refundRequestID = json["refundRequestId"] as? String, !refundRequestID.isEmpty, refundRequestID.count <= 64,
              let currency = amount?["currency"] as? String, let value = Self.minorUnits(amount?["value"]), value > 0,
              json["paymentId"] is String || json["paymentRequestId"] is String
        else {
            return Self.result("F", "PARAM_ILLEGAL", "refundRequestId, paymentId and refundAmount are required.")
        }
        let request = SandboxLedger.RefundRequest(
            refundRequestID: refundRequestID, paymentRequestID: json["paymentRequestId"] as? String,
            paymentID: json["paymentId"] as? String, currency: currency, value: value, notifyURL: json["refundNotifyUrl"] as? String
        )
        switch await ledger.refund(request, now: Date()) {
        case .succeeded(let refund):
            await notifyRefund(refund, clientID: clientID)
            var answer = Self.result("S", "SUCCESS", "Success")
            answer.merge(Self.refundFields(refund)) { $1 }
            return answer
        case .processing(let refund):
            if MagicRefundAmount(minorUnits: refund.value) == .failsLater,
               let failed = await ledger.completeRefund(requestID: refund.refundRequestID, success: false, now: Date()) {
                await notifyRefund(failed, clientID: clientID)
            }
            var answer = Self.result("U", "REFUND_IN_PROCESS", "The refund is being processed.")
            answer.merge(Self.refundFields(refund)) { $1 }
            return answer
        case .failed(let code, let message):
            return Self.result("F", code, message)
        case .unknown:
            return Self.result("U", "UNKNOWN_EXCEPTION", "An API calling is failed, which is caused by unknown reasons.")
        }
    }

    func inquireRefund(_ json: [String: Any]) async -> [String: Any] {
        guard let refund = await ledger.refund(requestID: json["refundRequestId"] as? String, refundID: json["refundId"] as? String) else {
            return Self.result("F", "ORDER_NOT_EXIST", "The refund does not exist.")
        }
        var answer = Self.result("S", "SUCCESS", "Success")
        answer.merge(Self.refundFields(refund)) { $1 }
        answer["refundStatus"] = refund.status.rawValue
        return answer
    }

    /// `notifyRefund` for a refund that reached a final state.
    func notifyRefund(_ refund: SandboxRefund, clientID: String) async {
        guard let url = refund.notifyURL, refund.status != .processing else { return }
        var body = Self.refundFields(refund)
        body["notifyType"] = "REFUND_RESULT"
        body["refundStatus"] = refund.status.rawValue
        body["result"] = refund.status == .success
            ? ["resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"]
            : ["resultCode": "REFUND_FAILED", "resultStatus": "F", "resultMessage": "refund failed"]
        await notify("notifyRefund", body: Self.json(body), to: url, clientID: clientID, reference: refund.refundRequestID)
    }

    static func refundFields(_ refund: SandboxRefund) -> [String: Any] {
        var fields: [String: Any] = [
            "refundRequestId": refund.refundRequestID, "refundId": refund.refundID,
            "refundAmount": ["currency": refund.currency, "value": String(refund.value)],
        ]
        if let time = refund.refundTime { fields["refundTime"] = isoTime(time) }
        return fields
    }

    /// An answer that breaks off: the client sees the connection closed without a complete answer.
    static func droppedConnection() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=UTF-8"
        headers[.contentLength] = "512"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await writer.write(ByteBuffer(string: #"{"result":"#))
            throw InjectedConnectionReset()
        })
    }

    struct InjectedConnectionReset: Error {}

    // MARK: Test helpers

    func simulateRefund(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let requestID = json["refund_request_id"] as? String else {
            return Self.jsonError(.badRequest, "invalid_parameter", "refund_request_id is required")
        }
        guard let outcome = json["outcome"] as? String, ["success", "fail"].contains(outcome) else {
            return Self.jsonError(.badRequest, "invalid_parameter", "outcome: must be success or fail")
        }
        guard let refund = await ledger.completeRefund(requestID: requestID, success: outcome == "success", now: Date()) else {
            return Self.jsonError(.conflict, "invalid_state", "no PROCESSING sandbox refund with that refund_request_id")
        }
        let clientID = await ledger.payment(requestID: refund.paymentRequestID, paymentID: nil, now: Date())?.clientID ?? ""
        await notifyRefund(refund, clientID: clientID)
        return Self.jsonResponse(.ok, Self.describeRefund(refund))
    }

    func inspectRefund(requestID: String) async throws -> Response {
        guard let refund = await ledger.refund(requestID: requestID, refundID: nil) else {
            return Self.jsonError(.notFound, "not_found", "no such sandbox refund")
        }
        return Self.jsonResponse(.ok, Self.describeRefund(refund))
    }

    static func describeRefund(_ refund: SandboxRefund) -> [String: Any] {
        [
            "refund_request_id": refund.refundRequestID, "refund_id": refund.refundID,
            "payment_request_id": refund.paymentRequestID, "status": refund.status.rawValue,
            "amount": ["currency": refund.currency, "value": String(refund.value)],
        ]
    }

    /// `POST /sandbox/v1/control`: `{"operation", "fault", "count", "latency_ms"}` or `{"reset": true}`.
    func control(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            return Self.jsonError(.badRequest, "invalid_request", "body must be a JSON object")
        }
        if json["reset"] as? Bool == true {
            await faults.reset()
        } else {
            guard let operation = json["operation"] as? String, SandboxFaults.operations.contains(operation) else {
                return Self.jsonError(.badRequest, "invalid_parameter", "operation: one of \(SandboxFaults.operations.joined(separator: ", "))")
            }
            let allowed = SandboxFaults.faults(for: operation)
            guard let fault = (json["fault"] as? String).flatMap(SandboxFaults.Fault.init(rawValue:)), allowed.contains(fault) else {
                return Self.jsonError(
                    .badRequest, "invalid_parameter", "fault: for \(operation) one of \(allowed.map(\.rawValue).joined(separator: ", "))"
                )
            }
            let count = (json["count"] as? Int) ?? 1
            let latency = Duration.milliseconds((json["latency_ms"] as? Int) ?? 1000)
            await faults.set(operation: operation, fault: fault, count: max(count, 1), latency: latency)
        }
        return Self.jsonResponse(.ok, ["faults": await faults.describe()])
    }
}
