import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// Sends signed notifications to the merchant's notify URL and retries on the provider's schedule
/// until the answer is exactly the acknowledgement the protocol asks for.
actor SandboxNotifier {
    private let signing: ProviderSigning
    private let schedule: [Duration]
    private let httpClient: HTTPClient
    private let logger: Logger
    private var deliveries = SandboxDeliveries()

    init(signing: ProviderSigning, schedule: [Duration], httpClient: HTTPClient, logger: Logger) {
        self.signing = signing
        self.schedule = schedule
        self.httpClient = httpClient
        self.logger = logger
    }

    /// Starts delivering; `delay` holds the first attempt back (fault injection: out of order).
    func send(body: [UInt8], to url: String, clientID: String, reference: String, delay extraDelay: Duration = .zero) {
        let id = deliveries.nextDeliveryID()
        deliveries.keep(Task { [signing, schedule, httpClient, logger] in
            await SandboxRetryLoop.run(schedule: schedule, extraDelay: extraDelay) { attempt in
                let acknowledged = await Self.deliver(body: body, to: url, clientID: clientID, signing: signing, httpClient: httpClient)
                logger.info("sandbox notification attempt", metadata: [
                    "payment_request_id": "\(reference)", "attempt": "\(attempt)", "acknowledged": "\(acknowledged)",
                ])
                return acknowledged
            }
            self.deliveries.finished(id)
        }, id: id)
    }

    /// Stops pending retries (graceful shutdown).
    func cancelAll() {
        deliveries.cancelAll()
    }

    static func deliver(body: [UInt8], to url: String, clientID: String, signing: ProviderSigning, httpClient: HTTPClient) async -> Bool {
        guard let path = URL(string: url).map({ $0.path.isEmpty ? "/" : $0.path }) else { return false }
        let time = String(Int64(Date().timeIntervalSince1970 * 1000))
        guard let signature = try? signing.signatureHeader(path: path, clientID: clientID, time: time, body: body) else { return false }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json; charset=UTF-8")
        request.headers.add(name: "client-id", value: clientID)
        request.headers.add(name: "request-time", value: time)
        request.headers.add(name: "signature", value: signature)
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await httpClient.execute(request, timeout: .seconds(15))
            let answer = try await response.body.collect(upTo: 64 * 1024)
            guard response.status == .ok,
                  let json = try? JSONSerialization.jsonObject(with: Data(answer.readableBytesView)) as? [String: Any],
                  let result = json["result"] as? [String: Any] else { return false }
            return result["resultStatus"] as? String == "S" && result["resultCode"] as? String == "SUCCESS"
        } catch {
            return false
        }
    }
}
