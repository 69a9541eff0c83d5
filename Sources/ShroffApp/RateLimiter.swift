import Foundation
import ShroffCore

/// A token bucket per key (a merchant, or a client id trying to log in), kept on this node.
actor RateLimiter {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let perSecond: Double
    private let burst: Double
    private var buckets: [String: Bucket] = [:]

    init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = burst
    }

    /// Takes one token for `key`, or throws 42900 with the seconds until one is available.
    func admit(_ key: String) throws(GatewayError) {
        let now = ContinuousClock.now
        var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        bucket.tokens = min(burst, bucket.tokens + seconds * perSecond)
        bucket.updated = now
        guard bucket.tokens >= 1 else {
            buckets[key] = bucket
            let wait = Int(((1 - bucket.tokens) / perSecond).rounded(.up))
            throw GatewayError(.rateLimited, "too many requests; retry after \(max(wait, 1)) s", retryAfterSeconds: max(wait, 1))
        }
        bucket.tokens -= 1
        buckets[key] = bucket
        if buckets.count > 100_000 { buckets = buckets.filter { $0.value.tokens < burst } }
    }
}
