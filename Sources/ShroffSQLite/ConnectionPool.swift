import SQLiteNIO

/// Connections handed out one body at a time each, first come first served: a body keeps its
/// connection across its awaits, so nothing else runs on it inside a transaction. The writer is a
/// pool of one; the readers a pool of several, so reads run beside each other and beside the
/// writer (WAL lets readers see the last commit while a write transaction is open).
actor ConnectionPool {
    private var idle: [SQLiteConnection]
    private var waiters: [CheckedContinuation<SQLiteConnection, Never>] = []
    let all: [SQLiteConnection]

    init(connections: [SQLiteConnection]) {
        precondition(!connections.isEmpty, "a pool needs a connection")
        idle = connections
        all = connections
    }

    func acquire() async -> SQLiteConnection {
        if let connection = idle.popLast() { return connection }
        return await withCheckedContinuation { waiters.append($0) }
    }

    func release(_ connection: SQLiteConnection) {
        if waiters.isEmpty {
            idle.append(connection)
        } else {
            // Straight to the longest waiter: the connection is never idle while someone waits.
            waiters.removeFirst().resume(returning: connection)
        }
    }
}

extension ConnectionPool {
    /// Runs `body` on a connection of the pool, given back however `body` ends.
    nonisolated func with<T: Sendable>(_ body: (SQLiteConnection) async throws -> T) async throws -> T {
        let connection = await acquire()
        do {
            let value = try await body(connection)
            await release(connection)
            return value
        } catch {
            await release(connection)
            throw error
        }
    }
}
