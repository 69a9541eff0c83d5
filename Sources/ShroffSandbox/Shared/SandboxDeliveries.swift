/// The notification deliveries still retrying, kept so that shutdown can stop them.
struct SandboxDeliveries {
    private var tasks: [Int: Task<Void, Never>] = [:]
    private var nextID = 0

    /// The id under which the next delivery is kept.
    mutating func nextDeliveryID() -> Int {
        nextID += 1
        return nextID
    }

    mutating func keep(_ task: Task<Void, Never>, id: Int) {
        tasks[id] = task
    }

    mutating func finished(_ id: Int) {
        tasks[id] = nil
    }

    /// Stops pending retries (graceful shutdown).
    mutating func cancelAll() {
        for task in tasks.values { task.cancel() }
        tasks.removeAll()
    }
}
