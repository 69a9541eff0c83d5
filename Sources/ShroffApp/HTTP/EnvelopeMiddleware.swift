import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ShroffBackground
import ShroffCore
import ShroffObservability

/// Gives every answer its `x-request-id`, logs and measures every request, and maps every error to the
/// envelope in one place. Unexpected errors become 50000 with no internals in the message.
struct EnvelopeMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// The documented paths and their methods, to answer 405 rather than 404 for a wrong method.
    var methods: [String: [String]] = [:]
    var metrics: GatewayMetrics?
    /// Where merchant API calls go for the request log, after they are answered.
    var requestLog: RecordWriter<CapturedRequest>?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let startedAt = Date()
        var context = context
        if requestLog != nil, RequestRecording.applies(to: request.uri.path) { context.recording = RequestRecording() }
        var response: Response
        do {
            try Self.checkHeaderSize(request.headers)
            response = try await next(request, context)
        } catch let error as GatewayError {
            response = Envelope.failure(error, requestID: context.requestID)
        } catch let error as HTTPError {
            if error.status == .notFound, let allowed = methods[request.uri.path], !allowed.contains(request.method.rawValue) {
                response = Envelope.failure(
                    GatewayError(.invalidRequest, "method: \(request.method.rawValue) is not allowed here; use \(allowed.joined(separator: ", "))"),
                    requestID: context.requestID, status: .methodNotAllowed
                )
                response.headers[.allow] = allowed.joined(separator: ", ")
            } else {
                response = Envelope.failure(Self.map(error, request: request), requestID: context.requestID)
            }
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            response = Envelope.failure(
                GatewayError(.internalError, "internal error; quote rid \(context.requestID) to the operator"),
                requestID: context.requestID
            )
        }
        response.headers[Envelope.requestIDHeader] = context.requestID
        let elapsed = ContinuousClock.now - started
        if let requestLog, let recording = context.recording {
            recording.record(&response, writer: requestLog, request: request, requestID: context.requestID, started: startedAt, latency: elapsed)
        }
        metrics?.recordRequest(
            method: request.method.rawValue, route: context.endpointPath, status: Int(response.status.code), duration: elapsed
        )
        context.logger.info("request", metadata: [
            "method": "\(request.method.rawValue)", "path": "\(request.uri.path)",
            "status": "\(response.status.code)", "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
        ])
        return response
    }

    /// Headers a client may send in all, name and value bytes counted. (Past 80 KiB the HTTP parser
    /// itself closes the connection with a bare 400.)
    static let maximumHeaderBytes = 16 * 1024

    static func checkHeaderSize(_ headers: HTTPFields) throws(GatewayError) {
        var total = 0
        for field in headers { total += field.name.rawName.utf8.count + field.value.utf8.count + 4 }
        guard total <= maximumHeaderBytes else {
            throw GatewayError(.invalidRequest, "headers: larger than the 16 KiB limit")
        }
    }

    static func map(_ error: HTTPError, request: Request) -> GatewayError {
        switch error.status {
        case .notFound:
            return GatewayError(.notFound, "path: no such endpoint \(request.method.rawValue) \(request.uri.path)")
        case .methodNotAllowed:
            return GatewayError(.invalidRequest, "method: \(request.method.rawValue) is not allowed here; use POST")
        case .contentTooLarge:
            return GatewayError(.invalidRequest, "body: larger than the 64 KiB limit")
        case let status where status.code < 500:
            return GatewayError(.invalidRequest, "request: \(status.reasonPhrase)")
        default:
            return GatewayError(.internalError, "internal error")
        }
    }
}
