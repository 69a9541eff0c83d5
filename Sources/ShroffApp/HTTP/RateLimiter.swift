import Foundation
import ShroffCore

/// A token bucket per key (a merchant, or a client id and address trying to log in), kept on this
/// node in a map of bounded size: keys come from request data, so a flood of new keys evicts the
/// least recently used buckets instead of growing memory.
actor RateLimiter {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let perSecond: Double
    private let burst: Double
    let capacity: Int
    private var buckets: [String: Bucket] = [:]

    init(perSecond: Double, burst: Double, capacity: Int = 100_000) {
        self.perSecond = perSecond
        self.burst = burst
        self.capacity = max(capacity, 4)
    }

    var count: Int { buckets.count }

    /// Takes one token for `key`, or throws 42900 with the seconds until one is available.
    func admit(_ key: String) throws(GatewayError) {
        var bucket = refilled(key)
        defer { store(bucket, for: key) }
        try Self.requireToken(bucket, perSecond: perSecond)
        bucket.tokens -= 1
    }

    /// Throws 42900 when `key` has no token left, without taking one.
    func check(_ key: String) throws(GatewayError) {
        let bucket = refilled(key)
        try Self.requireToken(bucket, perSecond: perSecond)
    }

    /// Takes a token from `key` without refusing (a failed login is charged after the fact).
    func charge(_ key: String) {
        var bucket = refilled(key)
        bucket.tokens = max(bucket.tokens - 1, 0)
        store(bucket, for: key)
    }

    private func refilled(_ key: String) -> Bucket {
        let now = ContinuousClock.now
        guard var bucket = buckets[key] else { return Bucket(tokens: burst, updated: now) }
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        bucket.tokens = min(burst, bucket.tokens + seconds * perSecond)
        bucket.updated = now
        return bucket
    }

    private func store(_ bucket: Bucket, for key: String) {
        if buckets[key] == nil, buckets.count >= capacity { evict() }
        buckets[key] = bucket
    }

    /// Drops the buckets that have refilled (forgetting them changes nothing), then, if that is not
    /// enough, the least recently used quarter.
    private func evict() {
        let now = ContinuousClock.now
        let fullAfter = Duration.seconds(burst / perSecond)
        buckets = buckets.filter { now - $0.value.updated < fullAfter }
        guard buckets.count >= capacity * 3 / 4 else { return }
        let keep = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(capacity * 3 / 4)
        buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }

    private static func requireToken(_ bucket: Bucket, perSecond: Double) throws(GatewayError) {
        guard bucket.tokens < 1 else { return }
        let wait = max(Int(((1 - bucket.tokens) / perSecond).rounded(.up)), 1)
        throw GatewayError(.rateLimited, "too many requests; retry after \(wait) s", retryAfterSeconds: wait)
    }
}

/// Limits guessing of API keys. Only failed logins are charged, per client id *and* source address
/// (so a stranger elsewhere cannot lock a merchant out), and per source address across client ids.
struct LoginThrottle: Sendable {
    let perClientAndAddress = RateLimiter(perSecond: 0.2, burst: 10)
    let perAddress = RateLimiter(perSecond: 1, burst: 50)

    /// Throws 42900 when this address has failed too often, for this client id or in all.
    func check(clientID: String, address: String) async throws(GatewayError) {
        try await perClientAndAddress.check(Self.key(clientID, address))
        try await perAddress.check(address)
    }

    func recordFailure(clientID: String, address: String) async {
        await perClientAndAddress.charge(Self.key(clientID, address))
        await perAddress.charge(address)
    }

    static func key(_ clientID: String, _ address: String) -> String {
        // The address comes last and never holds "|", so no two pairs share a key.
        "\(String(decoding: clientID.utf8.prefix(64), as: UTF8.self))|\(address)"
    }
}
