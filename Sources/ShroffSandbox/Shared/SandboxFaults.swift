/// Fault injection for the next N calls of an operation (`POST /sandbox/v1/control`).
actor SandboxFaults {
    enum Fault: String, Sendable {
        case latency
        case http500 = "http_500"
        case connectionReset = "connection_reset"
        case unknownResult = "unknown_result"
        case suppress
        case duplicate
    }

    struct Injection: Sendable {
        let fault: Fault
        var remaining: Int
        let latency: Duration
    }

    /// Calls the gateway makes: AMS operations and the WAP gateway's server-to-server services.
    static let calls = ["pay", "inquiryPayment", "cancel", "refund", "inquiryRefund", "single_trade_query", "close_trade", "forex_refund"]
    /// Notifications the provider sends: AMS `notifyPayment`/`notifyRefund`, WAP `trade_status_sync`.
    static let notifications = ["notifyPayment", "notifyRefund", "trade_status_sync"]
    static var operations: [String] { calls + notifications }

    /// The faults that mean something for `operation`: a call can be slowed, fail or lose its
    /// answer; a notification can be held back (so a later one overtakes it), lost or sent twice.
    static func faults(for operation: String) -> [Fault] {
        notifications.contains(operation) ? [.latency, .suppress, .duplicate] : [.latency, .http500, .connectionReset, .unknownResult]
    }

    private var injections: [String: Injection] = [:]

    func set(operation: String, fault: Fault, count: Int, latency: Duration) {
        injections[operation] = Injection(fault: fault, remaining: count, latency: latency)
    }

    func reset() { injections.removeAll() }

    /// Takes one injected fault for `operation`, if any is left.
    func take(_ operation: String) -> Injection? {
        guard var injection = injections[operation], injection.remaining > 0 else { return nil }
        injection.remaining -= 1
        injections[operation] = injection.remaining > 0 ? injection : nil
        return injection
    }

    func describe() -> [String: [String: String]] {
        injections.mapValues { ["fault": $0.fault.rawValue, "remaining": String($0.remaining)] }
    }
}
