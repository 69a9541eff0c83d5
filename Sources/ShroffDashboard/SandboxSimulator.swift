import AsyncHTTPClient
import Foundation
import NIOCore
import ShroffCore

/// Plays the shopper of a pending payment through the embedded sandbox's own helper
/// (`POST /sandbox/v1/payments/simulate`), over HTTP as any test does: the dashboard does not
/// import the sandbox.
struct SandboxSimulator: Sendable {
    enum Outcome: String, CaseIterable, Sendable {
        case success, fail, cancel

        var label: String {
            switch self {
            case .success: "Shopper pays"
            case .fail: "Wallet declines"
            case .cancel: "Shopper abandons"
            }
        }
    }

    let baseURL: String

    /// What the sandbox said, in a line for the page.
    func simulate(_ intent: PaymentIntent, outcome: Outcome) async throws -> String {
        // A mobile_web trade is known to the sandbox's WAP gateway by out_trade_no; the others by
        // the AMS payment request id. Both are the order id.
        let key = intent.method.flow == .mobileWeb ? "out_trade_no" : "payment_request_id"
        let body = try JSONSerialization.data(withJSONObject: [key: intent.orderID, "outcome": outcome.rawValue])
        var request = HTTPClientRequest(url: baseURL + "/sandbox/v1/payments/simulate")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        } catch {
            throw GatewayError(.providerUnavailable, "outcome: the sandbox could not be reached")
        }
        let answer = try await response.body.collect(upTo: 64 * 1024)
        let json = (try? JSONSerialization.jsonObject(with: Data(answer.readableBytesView))) as? [String: Any] ?? [:]
        guard (200..<300).contains(response.status.code) else {
            let message = json["message"] as? String ?? "HTTP \(response.status.code)"
            throw GatewayError(.invalidState, "outcome: the sandbox refused: \(message)")
        }
        let status = json["status"] as? String ?? json["trade_status"] as? String ?? "done"
        return "\(outcome.label.lowercased()); sandbox payment \(status)"
    }
}
