import Synchronization

/// Connections handed out one body at a time each, first come first served: a body keeps its
/// connection across its awaits, so nothing else runs on it inside a transaction. The writer is a
/// pool of one; the readers a pool of several, so reads run beside each other and beside the
/// writer (WAL lets readers see the last commit while a write transaction is open).
final class ConnectionPool<Connection: Sendable>: Sendable {
    private struct State {
        var idle: [Connection]
        var waiters: [CheckedContinuation<Connection, Never>] = []
    }

    private let state: Mutex<State>
    let all: [Connection]

    init(connections: [Connection]) {
        precondition(!connections.isEmpty, "a pool needs a connection")
        state = Mutex(State(idle: connections))
        all = connections
    }

    func acquire() async -> Connection {
        await withCheckedContinuation { continuation in
            let idle: Connection? = state.withLock { state in
                if let connection = state.idle.popLast() { return connection }
                state.waiters.append(continuation)
                return nil
            }
            if let idle { continuation.resume(returning: idle) }
        }
    }

    func release(_ connection: Connection) {
        let waiter: CheckedContinuation<Connection, Never>? = state.withLock { state in
            guard !state.waiters.isEmpty else {
                state.idle.append(connection)
                return nil
            }
            // Straight to the longest waiter: the connection is never idle while someone waits.
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: connection)
    }

    /// How many wait for a connection. Only the holder of a pool of one releases it, so for the
    /// holder a count above zero stays above zero until it releases the connection.
    var waitingCount: Int { state.withLock { $0.waiters.count } }
}

extension ConnectionPool {
    /// Runs `body` on a connection of the pool, given back however `body` ends.
    func with<T: Sendable>(_ body: (Connection) async throws -> T) async throws -> T {
        let connection = await acquire()
        defer { release(connection) }
        return try await body(connection)
    }
}
