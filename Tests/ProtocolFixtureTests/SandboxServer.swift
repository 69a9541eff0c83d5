import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import ShroffConnectors
import ShroffCore
import ShroffSandbox
import Testing

/// The real `SandboxProvider` on a Hummingbird server on a free loopback port, plus a notify
/// endpoint standing in for the gateway's, and a record of every AMS request as it arrived.
struct SandboxServer: Sendable {
    static let publicBaseURL = "https://sandbox.example.test"
    static let notifyPath = "/provider/ams/notify"

    let baseURL: String
    let recorder: Recorder
    /// The WAP gateway mounted beside the provider, when the server was started with partners.
    let wap: SandboxWAPGateway?

    var notifyURL: String { baseURL + Self.notifyPath }

    /// An HTTP message as the server received it.
    struct Received: Sendable {
        let path: String
        /// Names as they came over the wire (HTTPFields keeps the sender's spelling).
        let headers: [(name: String, value: String)]
        let body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    actor Recorder {
        private(set) var amsRequests: [Received] = []
        private var notifications: [Received] = []
        private var waiters: [UUID: CheckedContinuation<Received?, Never>] = [:]

        func recordAMS(_ message: Received) { amsRequests.append(message) }

        func recordNotification(_ message: Received) {
            if let (id, waiter) = waiters.first {
                waiters[id] = nil
                waiter.resume(returning: message)
            } else {
                notifications.append(message)
            }
        }

        /// The next notification delivered to the notify endpoint; nil if the waiting task is cancelled.
        func nextNotification() async -> Received? {
            if !notifications.isEmpty { return notifications.removeFirst() }
            let id = UUID()
            return await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    if Task.isCancelled { continuation.resume(returning: nil) } else { waiters[id] = continuation }
                }
            } onCancel: {
                Task { await self.stopWaiting(id) }
            }
        }

        private func stopWaiting(_ id: UUID) {
            waiters.removeValue(forKey: id)?.resume(returning: nil)
        }
    }

    struct RecordingMiddleware<Context: RequestContext>: RouterMiddleware {
        let recorder: Recorder

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            guard request.uri.path.hasPrefix("/ams/") else { return try await next(request, context) }
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            await recorder.recordAMS(Received(
                path: request.uri.path, headers: request.headers.map { ($0.name.rawName, $0.value) }, body: Array(buffer: body)
            ))
            return try await next(request, context)
        }
    }

    /// Runs `body` against a fresh sandbox that accepts the fixture client ids with the merchant key
    /// (and, given `wapPartners`, a WAP gateway beside it whose notifications are acknowledged).
    static func with(
        settlement: SandboxSettlementConfiguration = SandboxSettlementConfiguration(), wapPartners: [String: SandboxWAPPartner] = [:],
        _ body: (SandboxServer) async throws -> Void
    ) async throws {
        let logger = Fixture.logger
        let merchantKey = try Fixture.Party.merchant.publicKeyPEM()
        let wap = wapPartners.isEmpty ? nil : try SandboxWAPGateway(
            configuration: SandboxWAPConfiguration(
                publicBaseURL: publicBaseURL, partners: wapPartners, providerPrivateKeyPEM: try Fixture.Party.provider.privateKeyPEM(),
                notificationSchedule: [.zero]
            ),
            logger: logger
        )
        let sandbox = try SandboxProvider(
            configuration: SandboxConfiguration(
                publicBaseURL: publicBaseURL, providerPrivateKeyPEM: try Fixture.Party.provider.privateKeyPEM(),
                clients: [Fixture.clientID: merchantKey, Fixture.sandboxClientID: merchantKey],
                notificationSchedule: [.zero], settlement: settlement
            ),
            wap: wap,
            logger: logger
        )
        let recorder = Recorder()
        let router = Router()
        router.add(middleware: RecordingMiddleware(recorder: recorder))
        router.post(RouterPath(stringLiteral: notifyPath)) { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            await recorder.recordNotification(Received(
                path: request.uri.path, headers: request.headers.map { ($0.name.rawName, $0.value) }, body: Array(buffer: body)
            ))
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: AMSNotificationReceiver.acknowledgement)))
        }
        if wap != nil {
            router.post(RouterPath(stringLiteral: WAPServer.notifyPath)) { _, _ in Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "success"))) }
        }
        sandbox.register(on: router)

        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? 0)
                portSink.finish()
            },
            logger: logger
        )
        // A graceful shutdown, not a cancel: cancelling the serving task can trap in NIO when a
        // connection is still being accepted (apple/swift-nio#3481).
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let server = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        let result: Result<Void, any Error>
        if port > 0 {
            do { try await body(SandboxServer(baseURL: "http://127.0.0.1:\(port)", recorder: recorder, wap: wap)); result = .success(()) } catch { result = .failure(error) }
        } else {
            result = .failure(SetupFailed())
        }
        await group.triggerGracefulShutdown()
        _ = await server.result
        await sandbox.shutdown()
        try result.get()
    }

    struct SetupFailed: Error {}

    // MARK: Raw HTTP

    struct Answer: Sendable {
        let status: UInt
        /// Names exactly as AsyncHTTPClient returns them.
        let headers: [(name: String, value: String)]
        let body: [UInt8]

        var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(body)) }
        var result: (status: String?, code: String?) {
            (json?["result"]?["resultStatus"]?.stringValue, json?["result"]?["resultCode"]?.stringValue)
        }

        /// Every header whose name matches `name` ignoring case, with its name as received.
        func fields(_ name: String) -> [(name: String, value: String)] {
            headers.filter { $0.name.lowercased() == name.lowercased() }
        }
    }

    func post(_ path: String, headers: [(name: String, value: String)], body: [UInt8]) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: UInt(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: Array(buffer: bytes))
    }

    func get(_ path: String) async throws -> Answer {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + path), timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: UInt(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: Array(buffer: bytes))
    }

    /// POSTs `body` signed with the fixture merchant key by the client's own signer.
    func signedPost(_ path: String, clientID: String = Fixture.clientID, time: String = "1719892800000", body: [UInt8]) async throws -> Answer {
        let signature = try AMSSignature.header(
            signing: body, path: path, clientID: clientID, time: time, with: Fixture.Party.merchant.privateKey()
        )
        return try await post(path, headers: [
            ("Content-Type", "application/json; charset=UTF-8"), ("Client-Id", clientID), ("Request-Time", time), ("Signature", signature),
        ], body: body)
    }

    /// The sandbox's test helper, as the hosted page's buttons drive it.
    func simulate(paymentRequestID: String, outcome: String) async throws -> Answer {
        try await post("/sandbox/v1/payments/simulate", headers: [("Content-Type", "application/json")],
                       body: Array(#"{"payment_request_id":"\#(paymentRequestID)","outcome":"\#(outcome)"}"#.utf8))
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let description: String
}

/// Waits for `operation`, failing the test after `seconds` instead of hanging.
func withTimeout<T: Sendable>(seconds: Int, _ what: String, _ operation: @escaping @Sendable () async -> T?) async throws -> T {
    let value = try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { await operation() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        return try await group.next() ?? nil
    }
    guard let value else {
        throw TimedOut(description: "timed out after \(seconds) s waiting for \(what)")
    }
    return value
}
