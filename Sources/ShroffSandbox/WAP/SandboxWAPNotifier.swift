import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// Posts `trade_status_sync` notifications (form-encoded, signed) to a trade's notify_url and
/// retries on the schedule until the receiver answers exactly `success`. Every attempt carries a
/// fresh `notify_id` (and `notify_time`), issued just before the post so that the receiver can
/// confirm it with `notify_verify` while it handles the post.
actor SandboxWAPNotifier {
    typealias Sign = @Sendable ([String: String]) throws -> String

    private let book: SandboxWAPBook
    private let schedule: [Duration]
    private let httpClient: HTTPClient
    private let logger: Logger
    private var deliveries = SandboxDeliveries()
    private var attempts: [String: Int] = [:]

    init(book: SandboxWAPBook, schedule: [Duration], httpClient: HTTPClient, logger: Logger) {
        self.book = book
        self.schedule = schedule
        self.httpClient = httpClient
        self.logger = logger
    }

    /// Starts delivering `fields` (without notify_id, notify_time, sign, sign_type); `delay` holds
    /// the first attempt back (fault injection: out of order).
    func send(
        fields: [String: String], partner: String, signType: WAPSigning.SignType, sign: @escaping Sign, to url: String,
        delay extraDelay: Duration = .zero
    ) {
        let id = deliveries.nextDeliveryID()
        let reference = fields["out_trade_no"] ?? "?"
        deliveries.keep(Task { [book, schedule, httpClient, logger] in
            await SandboxRetryLoop.run(schedule: schedule, extraDelay: extraDelay) { attempt in
                var message = fields
                message["notify_id"] = await book.issueNotifyID(partner: partner, now: Date())
                message["notify_time"] = WAPTime.text(Date())
                guard let signature = try? sign(message) else {
                    logger.error("sandbox WAP notification could not be signed", metadata: ["out_trade_no": "\(reference)"])
                    return true
                }
                message["sign"] = signature
                message["sign_type"] = signType.rawValue
                self.attempted(reference)
                let acknowledged = await Self.deliver(message, to: url, httpClient: httpClient)
                logger.info("sandbox WAP notification attempt", metadata: [
                    "out_trade_no": "\(reference)", "trade_status": "\(fields["trade_status"] ?? "?")",
                    "attempt": "\(attempt)", "acknowledged": "\(acknowledged)",
                ])
                return acknowledged
            }
            self.deliveries.finished(id)
        }, id: id)
    }

    private func attempted(_ reference: String) {
        attempts[reference, default: 0] += 1
    }

    /// How many posts were made for an out_trade_no (a test aid).
    func attemptCount(outTradeNo: String) -> Int { attempts[outTradeNo] ?? 0 }

    /// Stops pending retries (graceful shutdown).
    func cancelAll() {
        deliveries.cancelAll()
    }

    /// One post; acknowledged only by HTTP 200 with the body exactly `success`.
    static func deliver(_ fields: [String: String], to url: String, httpClient: HTTPClient) async -> Bool {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded; charset=UTF-8")
        request.body = .bytes(ByteBuffer(string: WAPSigning.encodeForm(fields)))
        do {
            let response = try await httpClient.execute(request, timeout: .seconds(15))
            let answer = try await response.body.collect(upTo: 64 * 1024)
            return response.status == .ok && String(buffer: answer) == "success"
        } catch {
            return false
        }
    }
}
