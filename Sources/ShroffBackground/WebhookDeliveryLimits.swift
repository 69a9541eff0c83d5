import Foundation
import ShroffCore
import Synchronization

/// Where a webhook goes, as far as load and failures are concerned: scheme, host and port of the
/// target URL (paths on one server share its capacity and its failures).
struct WebhookEndpoint: Sendable, Hashable, CustomStringConvertible {
    let key: String

    init(url: String) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host?.lowercased(), !host.isEmpty else {
            key = url
            return
        }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        key = "\(scheme)://\(host):\(port)"
    }

    var description: String { key }
}

/// The attempts one dispatcher has in flight, counted in all, per merchant, per endpoint and per
/// target URL, under the caps of its settings. Every attempt started is `reserve`d and `release`d.
///
/// An endpoint starts with `perEndpoint` attempts at once. Each attempt it accepts (2xx) within
/// `quickAnswer` lets it have one more, up to `perQuickEndpoint`; any other outcome puts it back to
/// `perEndpoint`. So a receiver that keeps up gets a busy merchant's backlog at the rate it can take,
/// and a slow or failing one is never hit by more than a couple of requests at a time. The widened
/// endpoints are remembered, at most `quickEndpointCapacity` of them (beyond that, new ones stay narrow).
final class AttemptSlots: Sendable {
    struct Caps: Sendable {
        var total: Int
        var perMerchant: Int
        var perEndpoint: Int
        var perQuickEndpoint: Int
        var quickAnswer: Duration = .seconds(1)
        var quickEndpointCapacity = 10_000
    }

    private struct InFlight {
        var total = 0
        var perMerchant: [Int64: Int] = [:]
        var perEndpoint: [WebhookEndpoint: Int] = [:]
        var perURL: [String: (endpoint: WebhookEndpoint, count: Int)] = [:]
        /// The endpoints allowed more than `Caps.perEndpoint` attempts at once, and how many.
        var widened: [WebhookEndpoint: Int] = [:]
    }

    let caps: Caps
    private let inFlight = Mutex(InFlight())

    init(caps: Caps) {
        var caps = caps
        caps.perQuickEndpoint = max(caps.perEndpoint, caps.perQuickEndpoint)
        self.caps = caps
    }

    var count: Int { inFlight.withLock { $0.total } }

    /// How many attempts `endpoint` may have at once now (for tests of the widening).
    func endpointCap(_ endpoint: WebhookEndpoint) -> Int {
        inFlight.withLock { $0.widened[endpoint] ?? caps.perEndpoint }
    }

    /// What to ask of the outbox now: no more than there is room for, in all, per merchant and per
    /// target URL; nothing to the `paused` URLs.
    func claimLimits(paused: Set<String>) -> DeliveryClaimLimits {
        inFlight.withLock { state in
            let merchantRoom = state.perMerchant.mapValues { max(0, caps.perMerchant - $0) }
            var urlRoom: [String: Int] = [:]
            for (url, entry) in state.perURL {
                let cap = state.widened[entry.endpoint] ?? caps.perEndpoint
                urlRoom[url] = max(0, cap - (state.perEndpoint[entry.endpoint] ?? 0))
            }
            for url in paused { urlRoom[url] = 0 }
            return DeliveryClaimLimits(
                limit: max(0, caps.total - state.total), perMerchant: caps.perMerchant, merchantRoom: merchantRoom,
                perURL: caps.perEndpoint, urlRoom: urlRoom
            )
        }
    }

    /// Takes a slot for an attempt, unless one of the caps is reached.
    func reserve(merchantUID: Int64, endpoint: WebhookEndpoint, url: String) -> Bool {
        inFlight.withLock { state in
            guard state.total < caps.total, state.perMerchant[merchantUID, default: 0] < caps.perMerchant,
                  state.perEndpoint[endpoint, default: 0] < state.widened[endpoint] ?? caps.perEndpoint else { return false }
            state.total += 1
            state.perMerchant[merchantUID, default: 0] += 1
            state.perEndpoint[endpoint, default: 0] += 1
            state.perURL[url, default: (endpoint, 0)].count += 1
            return true
        }
    }

    /// Gives the slot back; `acceptedWithin` is how long a 2xx answer took, nil for any other outcome.
    func release(merchantUID: Int64, endpoint: WebhookEndpoint, url: String, acceptedWithin: Duration? = nil) {
        inFlight.withLock { state in
            state.total -= 1
            func decrement<Key: Hashable>(_ counts: inout [Key: Int], _ key: Key) {
                if let count = counts[key], count > 1 { counts[key] = count - 1 } else { counts[key] = nil }
            }
            decrement(&state.perMerchant, merchantUID)
            decrement(&state.perEndpoint, endpoint)
            if let entry = state.perURL[url], entry.count > 1 { state.perURL[url]?.count -= 1 } else { state.perURL[url] = nil }
            if let acceptedWithin, acceptedWithin <= caps.quickAnswer {
                let cap = state.widened[endpoint] ?? caps.perEndpoint
                if cap < caps.perQuickEndpoint, state.widened[endpoint] != nil || state.widened.count < caps.quickEndpointCapacity {
                    state.widened[endpoint] = cap + 1
                }
            } else {
                state.widened[endpoint] = nil
            }
        }
    }
}

/// A circuit breaker per endpoint, so that a dead endpoint costs little: after `failureThreshold`
/// attempts in a row that got no HTTP answer (timeouts, refused connections, names that do not
/// resolve), the endpoint is left alone for `coolOff`; then one attempt probes it. An HTTP answer,
/// whatever its status, closes the breaker. Only endpoints that failed lately are remembered, at
/// most `capacity` of them (the one changed longest ago is forgotten first, and simply tried again).
/// The target URLs seen failing on a paused endpoint are left out of claims, so its backlog stays
/// in the outbox untouched until the pause ends.
final class EndpointCircuitBreaker: Sendable {
    struct Settings: Sendable {
        var failureThreshold = 5
        var coolOff: Duration = .seconds(60)
        var capacity = 10_000
        /// Target URLs remembered per endpoint, to leave out of claims while it is paused.
        var urlsPerEndpoint = 16
        /// Paused URLs left out of one claim, at most (each one is a condition of the claim's query);
        /// events to paused URLs beyond these are claimed and postponed to the pause's end instead.
        var pausedURLsPerClaim = 200
    }

    /// Whether an attempt to an endpoint may start now.
    enum Admission: Sendable, Equatable {
        case allowed
        /// The endpoint is paused until then.
        case open(until: Date)
        /// The pause is over and one attempt is probing the endpoint: wait for its outcome.
        case probeInFlight
    }

    /// How an attempt went, as far as the endpoint's health is concerned.
    enum Outcome: Sendable {
        /// An HTTP answer came back (any status): the endpoint is alive.
        case answered
        /// No HTTP answer: a timeout, a connection failure, a name that did not resolve.
        case unreachable
        /// The endpoint was not contacted (a refused target, an unusable secret).
        case notContacted
    }

    private struct Health {
        var consecutiveFailures = 0
        var openUntil: Date?
        var probing = false
        var changedAt: Date
        var urls: Set<String> = []
    }

    let settings: Settings
    private let endpoints = Mutex<[WebhookEndpoint: Health]>([:])

    init(settings: Settings) {
        self.settings = settings
    }

    /// Whether an attempt to `url` may start; when the pause is over, the attempt allowed becomes the
    /// probe. A URL held back is remembered, to be left out of claims until the endpoint is back.
    func admission(for endpoint: WebhookEndpoint, url: String, now: Date) -> Admission {
        endpoints.withLock { endpoints in
            guard var health = endpoints[endpoint], let openUntil = health.openUntil else { return .allowed }
            let admission: Admission
            if now < openUntil {
                admission = .open(until: openUntil)
            } else if health.probing {
                admission = .probeInFlight
            } else {
                health.probing = true
                admission = .allowed
            }
            if admission != .allowed, health.urls.count < settings.urlsPerEndpoint { health.urls.insert(url) }
            health.changedAt = now
            endpoints[endpoint] = health
            return admission
        }
    }

    /// The target URLs not to claim now: those of endpoints paused, or being probed.
    func pausedURLs(now: Date) -> Set<String> {
        endpoints.withLock { endpoints in
            var urls: Set<String> = []
            for health in endpoints.values where urls.count < settings.pausedURLsPerClaim {
                if let openUntil = health.openUntil, now < openUntil || health.probing {
                    urls.formUnion(health.urls.prefix(settings.pausedURLsPerClaim - urls.count))
                }
            }
            return urls
        }
    }

    /// Records an attempt's outcome. Returns the end of the pause when this outcome opened the
    /// breaker (or, after a failed probe, opened it again).
    @discardableResult
    func record(_ outcome: Outcome, for endpoint: WebhookEndpoint, url: String, now: Date) -> Date? {
        endpoints.withLock { endpoints in
            switch outcome {
            case .answered:
                endpoints[endpoint] = nil
                return nil
            case .notContacted:
                endpoints[endpoint]?.probing = false
                return nil
            case .unreachable:
                if endpoints[endpoint] == nil, endpoints.count >= settings.capacity,
                   let stalest = endpoints.min(by: { $0.value.changedAt < $1.value.changedAt })?.key {
                    endpoints[stalest] = nil
                }
                var health = endpoints[endpoint] ?? Health(changedAt: now)
                health.consecutiveFailures += 1
                health.probing = false
                health.changedAt = now
                if health.urls.count < settings.urlsPerEndpoint { health.urls.insert(url) }
                var opened: Date?
                if health.consecutiveFailures >= settings.failureThreshold {
                    let until = now.addingTimeInterval(settings.coolOff.timeInterval)
                    health.openUntil = until
                    opened = until
                }
                endpoints[endpoint] = health
                return opened
            }
        }
    }

    /// How many endpoints are remembered (for tests of the bound).
    var rememberedCount: Int { endpoints.withLock { $0.count } }
}
