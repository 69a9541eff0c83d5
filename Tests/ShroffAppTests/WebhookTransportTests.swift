import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import ShroffBackground

/// The real webhook transport against a real local server: it connects to the pinned address, not
/// to whatever the name resolves to, and it never follows a redirect.
@Suite("Webhook transport")
struct WebhookTransportTests {
    /// What the receiver saw: each request's path and Host.
    final class Seen: Sendable {
        private let requests = Mutex<[(path: String, host: String)]>([])
        func record(_ path: String, _ host: String) { requests.withLock { $0.append((path, host)) } }
        var paths: [String] { requests.withLock { $0.map(\.path) } }
        var hosts: [String] { requests.withLock { $0.map(\.host) } }
    }

    /// A receiver that records the path and Host of every request; `/moved` redirects to `/hook`.
    static func withReceiver(_ body: @escaping @Sendable (_ port: Int, _ seen: Seen) async throws -> Void) async throws {
        let seen = Seen()
        let router = Router()
        router.post("hook") { request, _ in
            seen.record("/hook", request.head.authority ?? "")
            return Response(status: .noContent)
        }
        router.post("moved") { request, _ in
            seen.record("/moved", request.head.authority ?? "")
            return Response(status: .found, headers: [.location: "/hook"])
        }
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        try await app.test(.live) { client in
            try await body(try #require(client.port), seen)
        }
    }

    static let headers = [("webhook-id", "evt_1")]

    @Test("with a pinned address the request goes there, with the URL's host in Host, though the name does not resolve")
    func pinnedAddress() async throws {
        try await Self.withReceiver { port, seen in
            let url = "http://rebound.shroff-test.invalid:\(port)/hook"
            let result = await HTTPWebhookTransport().post(url: url, connectTo: "127.0.0.1", headers: Self.headers, body: "{}", timeout: .seconds(5))
            #expect(result == TransportResult(httpStatus: 204))
            #expect(seen.paths == ["/hook"])
            #expect(seen.hosts.first == "rebound.shroff-test.invalid:\(port)")
            // Without the pin the name is looked up, and it does not resolve (or the lookup outlasts the timeout).
            let unpinned = await HTTPWebhookTransport().post(url: url, connectTo: nil, headers: Self.headers, body: "{}", timeout: .seconds(2))
            #expect(unpinned.httpStatus == nil && unpinned.error != nil)
            #expect(seen.paths.count == 1)
        }
    }

    @Test("a redirect is a failed attempt and is not followed")
    func redirectsAreNotFollowed() async throws {
        try await Self.withReceiver { port, seen in
            let result = await HTTPWebhookTransport().post(
                url: "http://127.0.0.1:\(port)/moved", connectTo: nil, headers: Self.headers, body: "{}", timeout: .seconds(5)
            )
            #expect(result == TransportResult(httpStatus: 302, error: "receiver answered HTTP 302"))
            #expect(seen.paths == ["/moved"])
        }
    }
}
