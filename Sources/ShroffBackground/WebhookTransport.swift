import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

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
    /// Closes what the transport keeps open; called once no more posts will come.
    func shutdown() async
}

extension WebhookTransport {
    public func shutdown() async {}
}

/// Posts webhooks with AsyncHTTPClient. Redirects are never followed: a 3xx is a failed attempt
/// (following one would send the event to an address nobody checked).
///
/// AsyncHTTPClient pins hosts to addresses per client, so a client is kept per pin (the host and
/// the address the target policy approved; one client for every unpinned target) and its
/// keep-alive connections are reused by the next attempts to the same receiver. At most
/// `maximumClients` are kept; an idle one is closed after `idleLimit` or when room is needed, and an
/// attempt that finds every kept client busy gets a client of its own for that one request.
public final class HTTPWebhookTransport: WebhookTransport {
    private let clients: Mutex<KeptClients>
    private let maximumClients: Int
    private let idleLimit: Duration

    public init(maximumClients: Int = 256, idleLimit: Duration = .seconds(60)) {
        self.maximumClients = max(1, maximumClients)
        self.idleLimit = idleLimit
        clients = Mutex(KeptClients())
    }

    public func post(url: String, connectTo: String?, headers: [(String, String)], body: String, timeout: Duration) async -> TransportResult {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "Shroff-Webhooks/1")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        var pin: Pin?
        if let connectTo {
            // Keyed as AsyncHTTPClient keys it (URL.host without IPv6 brackets). Fails closed: a
            // target whose host cannot be keyed is not sent to unpinned.
            guard let host = URL(string: url)?.host?.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), !host.isEmpty else {
                return TransportResult(error: "the target URL has no host to connect to")
            }
            pin = Pin(host: host, address: connectTo)
        }
        let lease = checkOut(pin)
        for client in lease.closed { try? await client.shutdown() }
        let result = await send(request, with: lease.client, timeout: timeout)
        if lease.isKept {
            clients.withLock { $0.checkIn(pin, now: .now) }
        } else {
            try? await lease.client.shutdown()
        }
        return result
    }

    /// How many clients are kept now.
    var keptClientCount: Int { clients.withLock { $0.count } }

    public func shutdown() async {
        let kept = clients.withLock { $0.closeAll() }
        for client in kept { try? await client.shutdown() }
    }

    /// A client for `pin`: a kept one when there is one or room for one, else one for this request
    /// only; with the idle clients closed to make room, which the caller shuts down.
    private func checkOut(_ pin: Pin?) -> (client: HTTPClient, isKept: Bool, closed: [HTTPClient]) {
        clients.withLock { kept in
            let now = ContinuousClock.now
            if let client = kept.reuse(pin) { return (client, true, []) }
            let closed = kept.makeRoom(capacity: maximumClients, idleLimit: idleLimit, now: now)
            let client = Self.makeClient(pinning: pin)
            let isKept = kept.keep(client, for: pin, capacity: maximumClients)
            return (client, isKept, closed)
        }
    }

    private static func makeClient(pinning pin: Pin?) -> HTTPClient {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)))
        // As many kept-alive connections per receiver as attempts to one endpoint may be in flight.
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        if let pin {
            for name in Set([pin.host, pin.host.lowercased()]) { configuration.dnsOverride[name] = pin.address }
        }
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// A host name and the address its connections must go to.
    struct Pin: Hashable {
        let host: String
        let address: String
    }

    /// The kept clients, each with how many requests use it and when it was last used. A nil pin
    /// is the unpinned client.
    struct KeptClients {
        private var entries: [Pin?: Entry] = [:]
        private var isClosed = false

        var count: Int { entries.count }

        struct Entry {
            let client: HTTPClient
            var inUse: Int
            var lastUsed: ContinuousClock.Instant
        }

        mutating func reuse(_ pin: Pin?) -> HTTPClient? {
            guard !isClosed, var entry = entries[pin] else { return nil }
            entry.inUse += 1
            entries[pin] = entry
            return entry.client
        }

        /// Removes idle clients unused for `idleLimit`, and when still full the least recently used
        /// idle one; returns them for shutting down.
        mutating func makeRoom(capacity: Int, idleLimit: Duration, now: ContinuousClock.Instant) -> [HTTPClient] {
            var closed: [HTTPClient] = []
            for (pin, entry) in entries where entry.inUse == 0 && now - entry.lastUsed >= idleLimit {
                entries[pin] = nil
                closed.append(entry.client)
            }
            if entries.count >= capacity,
               let oldest = entries.filter({ $0.value.inUse == 0 }).min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                entries[oldest.key] = nil
                closed.append(oldest.value.client)
            }
            return closed
        }

        /// Keeps `client` for `pin` if there is room; whether it was kept.
        mutating func keep(_ client: HTTPClient, for pin: Pin?, capacity: Int) -> Bool {
            guard !isClosed, entries.count < capacity else { return false }
            entries[pin] = Entry(client: client, inUse: 1, lastUsed: .now)
            return true
        }

        mutating func checkIn(_ pin: Pin?, now: ContinuousClock.Instant) {
            guard var entry = entries[pin] else { return }
            entry.inUse -= 1
            entry.lastUsed = now
            entries[pin] = entry
        }

        /// Stops keeping clients; returns those kept.
        mutating func closeAll() -> [HTTPClient] {
            isClosed = true
            defer { entries = [:] }
            return entries.values.map(\.client)
        }
    }

    private func send(_ request: HTTPClientRequest, with client: HTTPClient, timeout: Duration) async -> TransportResult {
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.timeInterval * 1e9)))
            // The answer's body is not needed; reading it (a little) frees the connection for reuse.
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
