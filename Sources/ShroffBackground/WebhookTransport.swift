import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// What a receiver answered to one delivery.
public struct TransportResult: Sendable, Equatable {
    public var httpStatus: Int?
    public var retryAfterSeconds: Int?
    /// nil when the receiver answered 2xx.
    public var error: String?

    public init(httpStatus: Int? = nil, retryAfterSeconds: Int? = nil, error: String? = nil) {
        self.httpStatus = httpStatus
        self.retryAfterSeconds = retryAfterSeconds
        self.error = error
    }
}

/// Sends one signed webhook request. The real one uses AsyncHTTPClient; tests may inject their own.
public protocol WebhookTransport: Sendable {
    /// `connectTo`: the address to connect to instead of resolving the URL's host again (the TLS
    /// certificate is still checked against the host); nil to resolve it.
    func post(url: String, connectTo: String?, headers: [(String, String)], body: String, timeout: Duration) async -> TransportResult
}

/// Posts webhooks with AsyncHTTPClient. Redirects are never followed: a 3xx is a failed attempt
/// (following one would send the event to an address nobody checked). Each request has a client of
/// its own, because AsyncHTTPClient pins hosts to addresses per client; the cost is a new
/// connection per attempt, which webhooks to many merchants' hosts mostly need anyway.
public struct HTTPWebhookTransport: WebhookTransport {
    public init() {}

    public func post(url: String, connectTo: String?, headers: [(String, String)], body: String, timeout: Duration) async -> TransportResult {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "Shroff-Webhooks/1")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)))
        if let connectTo {
            // Keyed as AsyncHTTPClient keys it (URL.host without IPv6 brackets). Fails closed: a
            // target whose host cannot be keyed is not sent to unpinned.
            guard let host = URL(string: url)?.host?.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), !host.isEmpty else {
                return TransportResult(error: "the target URL has no host to connect to")
            }
            for name in Set([host, host.lowercased()]) { configuration.dnsOverride[name] = connectTo }
        }
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let result = await send(request, with: client, timeout: timeout)
        try? await client.shutdown()
        return result
    }

    private func send(_ request: HTTPClientRequest, with client: HTTPClient, timeout: Duration) async -> TransportResult {
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.timeInterval * 1e9)))
            // The answer's body is not needed; drain a little of it before the client shuts down.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let status = Int(response.status.code)
            if (200..<300).contains(status) { return TransportResult(httpStatus: status) }
            let retryAfter = [429, 503].contains(status) ? response.headers.first(name: "retry-after").flatMap { Int($0) } : nil
            return TransportResult(httpStatus: status, retryAfterSeconds: retryAfter, error: "receiver answered HTTP \(status)")
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return TransportResult(error: "no answer within \(Int(timeout.timeInterval)) s")
        } catch {
            return TransportResult(error: "could not reach the receiver (\(Self.describe(error)))")
        }
    }

    /// A short, secret-free description of a transport failure.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        if let error = error as? IOError { return "\(error.description)" }
        return String(describing: type(of: error))
    }
}
