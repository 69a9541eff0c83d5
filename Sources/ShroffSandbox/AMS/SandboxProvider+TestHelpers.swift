import Foundation
import HTTPTypes
import Hummingbird

/// Test helpers: driving payments as the hosted pages do and describing them as JSON.
extension SandboxProvider {
    func simulate(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            return Self.jsonError(.badRequest, "invalid_request", "body must be a JSON object")
        }
        guard let outcome = (json["outcome"] as? String).flatMap(SandboxLedger.Outcome.init(rawValue:)) else {
            return Self.jsonError(.badRequest, "invalid_parameter", "outcome: must be one of success, fail, cancel")
        }
        let wallet = json["wallet"] as? String
        if let wap, let outTradeNo = json["out_trade_no"] as? String {
            let (status, answer) = await wap.simulate(outTradeNo: outTradeNo, outcome: outcome.rawValue)
            return Self.jsonResponse(HTTPResponse.Status(code: status), answer)
        }
        guard let payment = await ledger.payment(
            requestID: (json["payment_request_id"] as? String) ?? (json["out_trade_no"] as? String),
            paymentID: json["payment_id"] as? String, now: Date()
        ) else {
            return Self.jsonError(.notFound, "not_found", "payment_request_id / payment_id: no such sandbox payment")
        }
        switch await complete(requestID: payment.paymentRequestID, outcome: outcome, wallet: wallet) {
        case .success(let done):
            return Self.jsonResponse(.ok, Self.describe(done, payCalls: await ledger.payCallCount(requestID: done.paymentRequestID)))
        case .failure(.notProcessing(let status)):
            return Self.jsonError(.conflict, "invalid_state", "payment is \(status.rawValue), not PROCESSING")
        case .failure(.notFound):
            return Self.jsonError(.notFound, "not_found", "no such sandbox payment")
        case .failure(.walletNotOffered(let requested)):
            return Self.jsonError(.conflict, "wallet_not_offered", "wallet: this payment can only be paid with \(requested)")
        }
    }

    func inspect(requestID: String) async throws -> Response {
        guard let payment = await ledger.payment(requestID: requestID, paymentID: nil, now: Date()) else {
            return Self.jsonError(.notFound, "not_found", "no such sandbox payment")
        }
        return Self.jsonResponse(.ok, Self.describe(
            payment, payCalls: await ledger.payCallCount(requestID: requestID), refunds: await ledger.refunds(ofPayment: requestID)
        ))
    }

    /// Every payment, oldest first, without their refunds.
    func inspectAll() async throws -> Response {
        var listed: [[String: Any]] = []
        for payment in await ledger.allPayments(now: Date()) {
            listed.append(Self.describe(payment, payCalls: await ledger.payCallCount(requestID: payment.paymentRequestID)))
        }
        return Self.jsonResponse(.ok, ["payments": listed])
    }

    static func describe(_ payment: SandboxPayment, payCalls: Int, refunds: [SandboxRefund] = []) -> [String: Any] {
        var fields: [String: Any] = [
            "payment_request_id": payment.paymentRequestID, "payment_id": payment.paymentID,
            "status": payment.status.rawValue, "amount": ["currency": payment.currency, "value": String(payment.value)],
            "product_code": payment.productCode, "pay_calls": payCalls, "requested_wallet": payment.requestedWallet,
        ]
        if let code = payment.resultCode { fields["result_code"] = code }
        if let wallet = payment.walletUsed { fields["wallet"] = wallet }
        fields["refunds"] = refunds.map(describeRefund)
        return fields
    }
}
