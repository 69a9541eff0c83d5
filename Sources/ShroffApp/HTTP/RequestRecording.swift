import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ShroffBackground
import ShroffCore
import Synchronization

/// What the request log learns of one merchant API call while it is answered: the merchant once
/// authentication knows it, and the request body as the handler read it. `EnvelopeMiddleware` makes
/// one for every `/mch-api/v1/` request; calls that never name a merchant are not recorded.
final class RequestRecording: Sendable {
    private struct State {
        var merchantUID: Int64?
        var body: [UInt8] = []
        var bodySize = 0
        var answered = false
    }

    private let state = Mutex(State())

    static func applies(to path: String) -> Bool { path.hasPrefix("/mch-api/v1/") }

    func identify(merchantUID: Int64) { state.withLock { $0.merchantUID = merchantUID } }

    var merchantUID: Int64? { state.withLock { $0.merchantUID } }

    /// Reads the whole body (up to the API's limit) so that it can be both handed on and recorded;
    /// past the limit the request is refused as the handlers would refuse it.
    func capture(_ request: Request) async throws -> Request {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: MerchantAPI.maximumBodyBytes)
        } catch {
            state.withLock { $0.bodySize = MerchantAPI.maximumBodyBytes + 1 }
            throw GatewayError(.invalidRequest, "body: larger than the 64 KiB limit")
        }
        state.withLock {
            $0.body = Array(buffer.readableBytesView)
            $0.bodySize = buffer.readableBytes
        }
        var request = request
        request.body = RequestBody(buffer: buffer)
        return request
    }

    /// The answer's body, passed through unchanged; the first buffer written is handed to `writer`
    /// with the rest of the call (redaction and storing happen in the writer's service).
    func record(
        _ response: inout Response, writer: RecordWriter<CapturedRequest>, request: Request, requestID: String, started: Date,
        latency: Duration
    ) {
        guard let merchantUID else { return }
        let method = request.method.rawValue
        let path = request.uri.path
        let status = Int(response.status.code)
        let milliseconds = latency.components.seconds * 1000 + latency.components.attoseconds / 1_000_000_000_000_000
        response.body = response.body.map { [self] buffer in
            let captured: CapturedRequest? = self.state.withLock { state in
                guard !state.answered else { return nil }
                state.answered = true
                return CapturedRequest(
                    merchantUID: merchantUID, time: started, method: method, path: path, httpStatus: status, requestID: requestID,
                    latencyMilliseconds: milliseconds, requestBody: state.body, requestBodySize: state.bodySize,
                    answerBody: Array(buffer.readableBytesView.prefix(MerchantAPI.maximumBodyBytes)), answerBodySize: buffer.readableBytes
                )
            }
            if let captured { writer.submit(captured) }
            return buffer
        }
    }
}

/// A merchant API call as captured, before its bodies are redacted (in the writer, off the request's path).
struct CapturedRequest: Sendable {
    let merchantUID: Int64
    let time: Date
    let method: String
    let path: String
    let httpStatus: Int
    let requestID: String
    let latencyMilliseconds: Int64
    let requestBody: [UInt8]
    let requestBodySize: Int
    let answerBody: [UInt8]
    let answerBodySize: Int

    private struct EnvelopeCode: Decodable { let code: Int? }

    /// The entry as stored: bodies without secrets, at most 8 KiB each, and the envelope's code.
    var entry: RequestLogEntry {
        let code = answerBody.count == answerBodySize ? (try? JSONDecoder().decode(EnvelopeCode.self, from: Data(answerBody)))?.code : nil
        return RequestLogEntry(
            merchantUID: merchantUID, time: time, method: method, path: path, httpStatus: httpStatus, code: code, requestID: requestID,
            latencyMilliseconds: latencyMilliseconds, requestBody: RequestLogRedaction.body(requestBody, total: requestBodySize),
            answerBody: RequestLogRedaction.body(answerBody, total: answerBodySize)
        )
    }
}
