import Dispatch
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Keeps webhooks away from the gateway's own network: unless the operator allows private targets,
/// a notify URL whose host is or resolves to a loopback, private, link-local (cloud metadata
/// services live there) or otherwise non-public address is refused, and an allowed one is pinned to
/// the address that was checked. Host names are looked up with a time limit.
struct WebhookTargetPolicy: Sendable {
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

    typealias Resolver = @Sendable (_ host: String, _ port: Int) async throws -> [SocketAddress]

    let allowPrivateTargets: Bool
    let resolve: Resolver
    /// The longest a host name lookup may take; a slower one is an unreachable endpoint.
    let resolutionTimeout: Duration

    init(
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

    @Sendable static func resolve(host: String, port: Int) async throws -> [SocketAddress] {
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
            return isNonPublicIPv4(UInt32(bigEndian: v4.address.sin_addr.s_addr))
        case .v6(let v6):
            return isNonPublicIPv6(withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) })
        case .unixDomainSocket:
            return true
        }
    }

    /// `bytes`: the 16 bytes of an IPv6 address in network order.
    static func isNonPublicIPv6(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 16 else { return true }
        func ipv4(at offset: Int) -> UInt32 { bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        func zero(_ range: Range<Int>) -> Bool { bytes[range].allSatisfy { $0 == 0 } }
        let word0 = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let word1 = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        // ::/96 (:: and ::1 too, as 0.0.0.0/8), ::ffff:0:0/96 and ::ffff:0:0:0/96 (IPv4-compatible,
        // -mapped and -translated).
        if zero(0..<12) || (zero(0..<10) && bytes[10] == 0xff && bytes[11] == 0xff)
            || (zero(0..<8) && bytes[8] == 0xff && bytes[9] == 0xff && zero(10..<12)) {
            return isNonPublicIPv4(ipv4(at: 12))
        }
        // 64:ff9b::/96, the well-known NAT64 prefix: a gateway relays to the IPv4 address at the end.
        if word0 == 0x0064, word1 == 0xff9b, zero(4..<12) { return isNonPublicIPv4(ipv4(at: 12)) }
        // 64:ff9b:1::/48, local-use NAT64 (RFC 8215): the network's own translators, and the IPv4
        // address sits where the local prefix length puts it, so the whole range is refused.
        if word0 == 0x0064, word1 == 0xff9b, bytes[4] == 0, bytes[5] == 1 { return true }
        // 2002::/16, 6to4: the IPv4 address follows the prefix.
        if word0 == 0x2002 { return isNonPublicIPv4(ipv4(at: 2)) }
        // 2001::/32, Teredo: the server's IPv4 address, then the client's, inverted bit by bit.
        if word0 == 0x2001, word1 == 0x0000 { return isNonPublicIPv4(ipv4(at: 4)) || isNonPublicIPv4(~ipv4(at: 12)) }
        if bytes[0] & 0xfe == 0xfc { return true } // fc00::/7 unique local (incl. fd00:ec2::254)
        if bytes[0] == 0xfe, bytes[1] & 0xc0 == 0x80 { return true } // fe80::/10 link-local
        if bytes[0] == 0xff { return true } // multicast
        if word0 == 0x0100, zero(2..<8) { return true } // 100::/64 discard-only
        return false
    }

    static func isNonPublicIPv4(_ address: UInt32) -> Bool {
        func inRange(_ base: UInt32, _ prefix: UInt32) -> Bool {
            let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << (32 - prefix)
            return address & mask == base & mask
        }
        let ranges: [(UInt32, UInt32)] = [
            (0x0000_0000, 8), (0x0A00_0000, 8), (0x6440_0000, 10), (0x7F00_0000, 8), (0xA9FE_0000, 16),
            (0xAC10_0000, 12), (0xC0A8_0000, 16), (0xC000_0000, 24), (0xE000_0000, 4), (0xF000_0000, 4),
        ]
        return ranges.contains { inRange($0.0, $0.1) }
    }
}
