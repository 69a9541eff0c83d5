import Foundation
import Logging
import Prometheus
import ShroffCore

/// The gateway's Prometheus metrics, served at `GET /metrics`. One registry per application rather
/// than a process-wide `MetricsSystem` bootstrap, so the tests can run many gateways in one process.
///
/// Every label takes values from a small fixed set (route templates, not raw paths; known methods),
/// so that no request, however odd, makes a new series.
public final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    // The descriptors are computed properties: `MetricNameDescriptor` is not `Sendable`.

    /// One of the gateway's metric names, `shroff_<subsystem>_<name>_<unit>`.
    static func metric(_ subsystem: String, _ name: String, unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "shroff", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
    }

    public init() {
        // Present from the start at 0, so an alert rule on their increase sees the first one.
        for alert in OperatorAlert.allCases { _ = operatorAlertCounter(alert) }
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> String {
        registry.emitToString()
    }

    // MARK: HTTP

    static var httpRequests: MetricNameDescriptor {
        metric("http", "requests", unit: "total", "HTTP requests answered, by method, route template and status code.")
    }
    static var httpDuration: MetricNameDescriptor {
        metric("http", "request_duration", unit: "seconds", "Time to answer an HTTP request, by method and route template.")
    }
    static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]
    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    /// `route` is the router's template (`/sandbox/v1/payments/{paymentRequestID}`), or nil when no route matched.
    public func recordRequest(method: String, route: String?, status: Int, duration: Duration) {
        let method = Self.knownMethods.contains(method) ? method : "OTHER"
        let route = route.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        let labels = [("method", method), ("route", route)]
        count(Self.httpRequests, labels + [("status", String(status))], time: Self.httpDuration, labels, duration)
    }

    /// Counts one event with its labels and records how long it took (the time without the outcome labels).
    private func count(
        _ counter: MetricNameDescriptor, _ labels: [(String, String)], time histogram: MetricNameDescriptor,
        _ timeLabels: [(String, String)], _ duration: Duration
    ) {
        registry.makeCounter(descriptor: counter, labels: labels).increment()
        registry.makeDurationHistogram(descriptor: histogram, labels: timeLabels, buckets: Self.latencyBuckets).record(duration)
    }

    // MARK: Provider calls

    static var providerCalls: MetricNameDescriptor {
        metric("provider", "calls", unit: "total", "Calls made to a wallet provider, by provider, operation and outcome (answered, unavailable, error).")
    }
    static var providerDuration: MetricNameDescriptor {
        metric("provider", "call_duration", unit: "seconds", "Time a wallet provider took to answer, by provider and operation.")
    }

    func recordProviderCall(provider: String, operation: String, outcome: String, duration: Duration) {
        let labels = [("provider", provider), ("operation", operation)]
        count(Self.providerCalls, labels + [("outcome", outcome)], time: Self.providerDuration, labels, duration)
    }

    // MARK: Webhooks

    static var webhookAttempts: MetricNameDescriptor {
        metric("webhook", "attempts", unit: "total", "Webhook delivery attempts, by outcome: delivered, retry (failed, will be tried again), failed (given up).")
    }
    static var webhookDuration: MetricNameDescriptor {
        metric("webhook", "attempt_duration", unit: "seconds", "Time a merchant's webhook endpoint took to answer.")
    }

    static var webhookPostponed: MetricNameDescriptor {
        metric("webhook", "postponed", unit: "total", "Webhook events postponed without an attempt because their endpoint was paused by its circuit breaker.")
    }
    static var webhookInFlight: MetricNameDescriptor {
        metric("webhook", "attempts_in_flight", unit: "attempts", "Webhook attempts this node has in flight.")
    }

    public func recordWebhookAttempt(outcome: String, duration: Duration) {
        registry.makeCounter(descriptor: Self.webhookAttempts, labels: [("outcome", outcome)]).increment()
        registry.makeDurationHistogram(descriptor: Self.webhookDuration, buckets: Self.latencyBuckets).record(duration)
    }

    public func recordWebhookPostponed() {
        registry.makeCounter(descriptor: Self.webhookPostponed).increment()
    }

    public func setWebhookAttemptsInFlight(_ count: Int) {
        registry.makeGauge(descriptor: Self.webhookInFlight).set(Int64(count))
    }

    // MARK: Outbox backlog, read from the database at each scrape

    static var outboxPending: MetricNameDescriptor {
        metric("webhook_outbox", "pending", unit: "events", "Webhook events not delivered yet that are still being tried (the whole database, all nodes).")
    }
    static var outboxOldestPendingAge: MetricNameDescriptor {
        metric("webhook_outbox", "oldest_pending_age", unit: "seconds", "Age of the oldest webhook event not delivered yet; 0 when none is pending.")
    }
    static var outboxFailed: MetricNameDescriptor {
        metric("webhook_outbox", "failed", unit: "events", "Webhook events whose retries ran out, waiting for the merchant to replay them.")
    }

    /// Reads the outbox backlog into its gauges. When the database does not answer, the gauges keep
    /// their last values and the failure is counted, so the rest of the scrape still works.
    public func refreshOutboxBacklog(from store: any WebhookStore, now: Date, logger: Logger) async {
        do {
            let backlog = try await store.outboxBacklog()
            registry.makeGauge(descriptor: Self.outboxPending).set(Int64(backlog.pending))
            registry.makeGauge(descriptor: Self.outboxFailed).set(Int64(backlog.failed))
            let age = backlog.oldestPendingCreatedAt.map { max(0, now.timeIntervalSince($0)) } ?? 0
            registry.makeGauge(descriptor: Self.outboxOldestPendingAge).set(age)
        } catch {
            logger.error("outbox backlog unreadable", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            recordBackgroundFailure(component: "outbox_backlog")
        }
    }

    // MARK: Operator alerts

    static var operatorAlerts: MetricNameDescriptor {
        metric("operator", "alerts", unit: "total", "Situations an operator must look at, by alert: payment_conflict, refund_conflict (the provider contradicts a final state), paid_after_expiry, paid_after_cancel (refunded automatically).")
    }

    private func operatorAlertCounter(_ alert: OperatorAlert) -> Counter {
        registry.makeCounter(descriptor: Self.operatorAlerts, labels: [("alert", alert.rawValue)])
    }

    public func recordOperatorAlert(_ alert: OperatorAlert) {
        operatorAlertCounter(alert).increment()
    }

    // MARK: Background work

    static var reconciliationChecks: MetricNameDescriptor {
        metric("reconciliation", "checks", unit: "total", "Payments and refunds looked at by reconciliation and expiry.")
    }
    static var backgroundFailures: MetricNameDescriptor {
        metric("background", "round_failures", unit: "total", "Rounds of background work that failed (database or provider trouble), by component.")
    }

    public func recordReconciliationChecks(_ count: Int) {
        registry.makeCounter(descriptor: Self.reconciliationChecks).increment(by: Int64(count))
    }

    public func recordBackgroundFailure(component: String) {
        registry.makeCounter(descriptor: Self.backgroundFailures, labels: [("component", component)]).increment()
    }

    static var droppedRecords: MetricNameDescriptor {
        metric("records", "dropped", unit: "total", "Request log entries and operator alerts not stored because their writer's queue was full or its write failed, by queue.")
    }

    public func recordDroppedRecords(queue: String, count: Int = 1) {
        registry.makeCounter(descriptor: Self.droppedRecords, labels: [("queue", queue)]).increment(by: Int64(count))
    }
}
