/// Runs at most one operation per key at a time in this process; concurrent callers with the same
/// key share the first caller's result. Used so that identical creates racing on one node ask the
/// provider once (across nodes, the provider's own idempotency on the request id still holds).
public actor SingleFlight<Value: Sendable> {
    private var running: [String: Task<Value, any Error>] = [:]

    public init() {}

    public func run(_ key: String, _ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let task = running[key] { return try await task.value }
        let task = Task { try await operation() }
        running[key] = task
        defer { running[key] = nil }
        return try await task.value
    }
}
