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
    /// What the receiver saw: each request's path, Host and the client's port (one per connection).
    final class Seen: Sendable {
        private let requests = Mutex<[(path: String, host: String, clientPort: Int?)]>([])
        func record(_ path: String, _ host: String, _ clientPort: Int?) { requests.withLock { $0.append((path, host, clientPort)) } }
        var paths: [String] { requests.withLock { $0.map(\.path) } }
        var hosts: [String] { requests.withLock { $0.map(\.host) } }
        var clientPorts: [Int?] { requests.withLock { $0.map(\.clientPort) } }
    }

    /// A request context that knows the port the request's connection comes from.
    struct PeerContext: RequestContext {
        var coreContext: CoreRequestContextStorage
        let clientPort: Int?

        init(source: ApplicationRequestContextSource) {
            coreContext = .init(source: source)
            clientPort = source.channel.remoteAddress?.port
        }
    }

    /// A receiver that records every request; `/moved` redirects to `/hook`.
    static func withReceiver(_ body: @escaping @Sendable (_ port: Int, _ seen: Seen) async throws -> Void) async throws {
        let seen = Seen()
        let router = Router(context: PeerContext.self)
        router.post("hook") { request, context in
            seen.record("/hook", request.head.authority ?? "", context.clientPort)
            return Response(status: .noContent)
        }
        router.post("moved") { request, context in
            seen.record("/moved", request.head.authority ?? "", context.clientPort)
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

    /// Runs `body` with a transport that is shut down however `body` ends (a kept client must be).
    static func withTransport(
        maximumClients: Int = 256, _ body: (HTTPWebhookTransport) async throws -> Void
    ) async throws {
        let transport = HTTPWebhookTransport(maximumClients: maximumClients)
        do {
            try await body(transport)
        } catch {
            await transport.shutdown()
            throw error
        }
        await transport.shutdown()
    }

    @Test("with a pinned address the request goes there, with the URL's host in Host, though the name does not resolve")
    func pinnedAddress() async throws {
        try await Self.withTransport { transport in try await Self.withReceiver { port, seen in
            let url = "http://rebound.shroff-test.invalid:\(port)/hook"
            let result = await transport.post(url: url, connectTo: "127.0.0.1", headers: Self.headers, body: "{}", timeout: .seconds(5))
            #expect(result == TransportResult(httpStatus: 204))
            #expect(seen.paths == ["/hook"])
            #expect(seen.hosts.first == "rebound.shroff-test.invalid:\(port)")
            // Without the pin the name is looked up, and it does not resolve (or the lookup outlasts
            // the timeout): the client kept for the pinned host does not serve it.
            let unpinned = await transport.post(url: url, connectTo: nil, headers: Self.headers, body: "{}", timeout: .seconds(2))
            #expect(unpinned.httpStatus == nil && unpinned.error != nil)
            #expect(seen.paths.count == 1)
        } }
    }

    @Test("a host pinned to a new address connects there, not over the connection kept for the old one")
    func newPinNewConnection() async throws {
        try await Self.withTransport { transport in try await Self.withReceiver { port, seen in
            let url = "http://rebound.shroff-test.invalid:\(port)/hook"
            #expect(await transport.post(url: url, connectTo: "127.0.0.1", headers: Self.headers, body: "{}", timeout: .seconds(5)).httpStatus == 204)
            // Nothing listens on 127.0.0.2 (the receiver is bound to 127.0.0.1 only).
            let moved = await transport.post(url: url, connectTo: "127.0.0.2", headers: Self.headers, body: "{}", timeout: .seconds(1))
            #expect(moved.httpStatus == nil && moved.error != nil)
            #expect(seen.paths.count == 1)
        } }
    }

    @Test("attempts to one receiver reuse a kept-alive connection")
    func connectionsAreReused() async throws {
        try await Self.withTransport { transport in try await Self.withReceiver { port, seen in
            for _ in 1...5 {
                let result = await transport.post(
                    url: "http://127.0.0.1:\(port)/hook", connectTo: nil, headers: Self.headers, body: "{}", timeout: .seconds(5)
                )
                #expect(result == TransportResult(httpStatus: 204))
            }
            #expect(seen.clientPorts.count == 5)
            #expect(Set(seen.clientPorts.compactMap { $0 }).count == 1)
        } }
    }

    @Test("a transport keeps at most its maximum of clients and closes the least recently used idle one")
    func keptClientsAreBounded() async throws {
        try await Self.withTransport(maximumClients: 2) { transport in try await Self.withReceiver { port, seen in
            for host in ["a.shroff-test.invalid", "b.shroff-test.invalid", "c.shroff-test.invalid", "a.shroff-test.invalid"] {
                let result = await transport.post(
                    url: "http://\(host):\(port)/hook", connectTo: "127.0.0.1", headers: Self.headers, body: "{}", timeout: .seconds(5)
                )
                #expect(result == TransportResult(httpStatus: 204))
            }
            #expect(transport.keptClientCount == 2)
            // a's client was closed to make room for c's, so a's last request came over a new connection.
            let ports = seen.clientPorts.compactMap { $0 }
            #expect(ports.count == 4 && Set(ports).count == 4)
            await transport.shutdown()
            #expect(transport.keptClientCount == 0)
        } }
    }

    @Test("a redirect is a failed attempt and is not followed")
    func redirectsAreNotFollowed() async throws {
        try await Self.withTransport { transport in try await Self.withReceiver { port, seen in
            let result = await transport.post(
                url: "http://127.0.0.1:\(port)/moved", connectTo: nil, headers: Self.headers, body: "{}", timeout: .seconds(5)
            )
            #expect(result == TransportResult(httpStatus: 302, error: "receiver answered HTTP 302"))
            #expect(seen.paths == ["/moved"])
        } }
    }
}
