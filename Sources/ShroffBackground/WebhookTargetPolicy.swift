import Dispatch
import Foundation
import NIOCore
import NIOPosix
import ShroffCore
import Synchronization

/// Keeps webhooks away from the gateway's own network: unless the operator allows private targets,
/// a notify URL whose host is or resolves to a loopback, private, link-local (cloud metadata
/// services live there) or otherwise non-public address is refused, and an allowed one is pinned to
/// the address that was checked. Host names are looked up with a time limit.
public struct WebhookTargetPolicy: Sendable {
    /// What the policy says of one notify URL.
    enum Verdict: Sendable, Equatable {
        case refused(String)
        /// The host name did not resolve (in time): the endpoint cannot be reached now.
        case unresolved(String)
        /// `connectTo` is the address the check approved when the host is a name (and private
        /// targets are refused): the request must connect there and nowhere else, so a DNS answer
        /// that changes between the check and the connection (DNS rebinding) cannot turn it inward.
        case allowed(connectTo: String?)
    }

    public typealias Resolver = @Sendable (_ host: String, _ port: Int) async throws -> [SocketAddress]

    let allowPrivateTargets: Bool
    let resolve: Resolver
    /// The longest a host name lookup may take; a slower one is an unreachable endpoint.
    let resolutionTimeout: Duration

    public init(
        allowPrivateTargets: Bool, resolutionTimeout: Duration = .seconds(5),
        resolve: @escaping Resolver = WebhookTargetPolicy.resolve(host:port:)
    ) {
        self.allowPrivateTargets = allowPrivateTargets
        self.resolutionTimeout = resolutionTimeout
        self.resolve = resolve
    }

    func verdict(for url: String) async -> Verdict {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty else {
            return .refused("notify URL is not an absolute http(s) URL")
        }
        if allowPrivateTargets { return .allowed(connectTo: nil) }
        let bareHost = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        if bareHost.lowercased() == "metadata.google.internal" || bareHost.lowercased() == "localhost" {
            return .refused("notify URL host is internal; refused (set SHROFF_WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow)")
        }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        let isLiteral = (try? SocketAddress(ipAddress: bareHost, port: port)) != nil
        let addresses: [SocketAddress]
        do {
            addresses = isLiteral
                ? [try SocketAddress(ipAddress: bareHost, port: port)]
                : try await Self.withTimeout(resolutionTimeout) { [resolve] in try await resolve(bareHost, port) }
        } catch is TimedOut {
            return .unresolved("notify URL host did not resolve within \(Self.describe(resolutionTimeout))")
        } catch {
            return .unresolved("notify URL host does not resolve")
        }
        if addresses.isEmpty || addresses.contains(where: Self.isNonPublic) {
            return .refused("notify URL resolves to a private, loopback or link-local address; refused (set SHROFF_WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow)")
        }
        return .allowed(connectTo: isLiteral ? nil : addresses.first?.ipAddress)
    }

    @Sendable public static func resolve(host: String, port: Int) async throws -> [SocketAddress] {
        // getaddrinfo blocks and cannot be cancelled: it runs on a global dispatch queue rather than
        // NIO's small shared thread pool, so lookups stuck on a slow name server (whose wait
        // `withTimeout` ends early) do not hold up the gateway's other blocking work.
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Self.lookup(host: host, port: port) })
            }
        }
    }

    /// The lookup took longer than `resolutionTimeout`.
    struct TimedOut: Error {}

    /// `operation`'s result, or `TimedOut` once `timeout` has passed, whichever comes first. The
    /// operation is cancelled on timeout but not waited for (a blocking lookup cannot stop early).
    static func withTimeout<T: Sendable>(
        _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let outcome = FirstOutcome<T>()
        return try await withCheckedThrowingContinuation { continuation in
            outcome.install(continuation)
            let work = Task {
                do {
                    outcome.resume(with: .success(try await operation()))
                } catch {
                    outcome.resume(with: .failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: timeout)
                if outcome.resume(with: .failure(TimedOut())) { work.cancel() }
            }
        }
    }

    /// Hands the first of two racing outcomes to a continuation, exactly once.
    private final class FirstOutcome<T: Sendable>: Sendable {
        private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

        func install(_ continuation: CheckedContinuation<T, any Error>) {
            self.continuation.withLock { $0 = continuation }
        }

        /// Whether this outcome was the first (and was delivered).
        @discardableResult
        func resume(with result: Result<T, any Error>) -> Bool {
            guard let continuation = continuation.withLock({ $0.take() }) else { return false }
            continuation.resume(with: result)
            return true
        }
    }

    static func describe(_ duration: Duration) -> String {
        let seconds = duration.timeInterval
        return seconds >= 1 && seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(Int((seconds * 1000).rounded())) ms"
    }

    static func lookup(host: String, port: Int) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else {
            throw ResolutionFailed()
        }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let address = entry.pointee.ai_addr {
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { addresses.append(SocketAddress($0.pointee, host: host)) }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { addresses.append(SocketAddress($0.pointee, host: host)) }
                default:
                    break
                }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }

    struct ResolutionFailed: Error {}

    /// Loopback, RFC 1918, CGNAT, link-local, unspecified, multicast; IPv6 loopback, ULA, link-local,
    /// multicast, local-use NAT64, and every IPv6 form that carries an IPv4 address (IPv4-mapped,
    /// -translated and -compatible, NAT64, 6to4, Teredo) when the IPv4 address it carries is one of those.
    static func isNonPublic(_ address: SocketAddress) -> Bool {
        switch address {
        case .v4(let v4):
            return IPAddressClass.isNonPublic(ipv4: UInt32(bigEndian: v4.address.sin_addr.s_addr))
        case .v6(let v6):
            return IPAddressClass.isNonPublic(ipv6: withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) })
        case .unixDomainSocket:
            return true
        }
    }
}
