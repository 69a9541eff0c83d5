/// Runs at most one operation per key at a time in this process; concurrent callers with the same
/// key share the first caller's result. Used so that identical creates racing on one node ask the
/// provider once (across nodes, the provider's own idempotency on the request id still holds).
///
/// Keys come from request data, so the map is capped: past `capacity` operations in flight, a new
/// key runs unshared (correct, since the provider deduplicates by request id, merely not coalesced).
public actor SingleFlight<Value: Sendable> {
    private var running: [String: Task<Value, any Error>] = [:]
    private let capacity: Int

    public init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    public var inFlight: Int { running.count }

    public func run(_ key: String, _ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let task = running[key] { return try await task.value }
        guard running.count < capacity else { return try await operation() }
        let task = Task { try await operation() }
        running[key] = task
        defer { running[key] = nil }
        return try await task.value
    }
}
