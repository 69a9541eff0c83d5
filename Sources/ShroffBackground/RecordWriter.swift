import Foundation
import Logging
import ServiceLifecycle
import ShroffCore
import ShroffObservability
import Synchronization

/// A bounded in-memory queue of records (request log entries, operator alerts) that a request or a
/// payment hands over without waiting, and the service that stores them in batches and prunes their
/// table. Best effort: a full queue drops the new record and a failed write drops the batch, each
/// counted in `shroff_records_dropped_total` and logged; the caller never waits for the database.
/// The queue is written every `flushInterval`, and at once whenever a batch's worth waits, so a
/// busy gateway does not fill it between two flushes.
public final class RecordWriter<Record: Sendable>: Service, Sendable {
    public struct Settings: Sendable {
        /// The queue's name in logs and metrics.
        public var name: String
        public var capacity: Int
        public var batchSize: Int
        public var flushInterval: Duration
        public var pruneInterval: Duration

        public init(name: String, capacity: Int = 1000, batchSize: Int = 200, flushInterval: Duration = .milliseconds(200), pruneInterval: Duration = .seconds(600)) {
            self.name = name
            self.capacity = capacity
            self.batchSize = batchSize
            self.flushInterval = flushInterval
            self.pruneInterval = pruneInterval
        }
    }

    let settings: Settings
    let write: @Sendable ([Record]) async throws -> Void
    let prune: @Sendable () async throws -> Void
    let metrics: GatewayMetrics?
    let logger: Logger
    private let queue = Mutex<[Record]>([])
    /// Wakes the writing loop: a full batch waits, the flush interval passed, or shutdown.
    private let wakeUps: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    public init(
        settings: Settings, metrics: GatewayMetrics?, logger: Logger, write: @escaping @Sendable ([Record]) async throws -> Void,
        prune: @escaping @Sendable () async throws -> Void
    ) {
        self.settings = settings
        self.write = write
        self.prune = prune
        self.metrics = metrics
        self.logger = logger
        (wakeUps, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues a record; never waits. False when the queue was full and the record was dropped.
    @discardableResult
    public func submit(_ record: Record) -> Bool {
        let (accepted, batchWaits) = queue.withLock { records in
            guard records.count < settings.capacity else { return (false, false) }
            records.append(record)
            return (true, records.count >= settings.batchSize)
        }
        if !accepted { metrics?.recordDroppedRecords(queue: settings.name) }
        if batchWaits { wake.yield() }
        return accepted
    }

    /// How many records wait.
    public var pending: Int { queue.withLock { $0.count } }

    public func run() async throws {
        var lastPrune: ContinuousClock.Instant?
        var wakeUp = wakeUps.makeAsyncIterator()
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                await flush()
                if lastPrune.map({ ContinuousClock.now - $0 >= settings.pruneInterval }) ?? true {
                    lastPrune = .now
                    do {
                        try await prune()
                    } catch {
                        metrics?.recordBackgroundFailure(component: settings.name)
                        logger.warning("records not pruned", metadata: ["queue": "\(settings.name)", "error": "\(String(reflecting: type(of: error)))"])
                    }
                }
                let timer = Task { [wake, settings] in
                    // Cancelled (woken early), it must not wake the next wait.
                    guard (try? await Task.sleep(for: settings.flushInterval)) != nil else { return }
                    wake.yield()
                }
                let woken = await wakeUp.next() != nil
                timer.cancel()
                if !woken { break }
            }
        } onGracefulShutdown: { [wake] in
            wake.yield()
        }
        // What was queued before the shutdown still goes in.
        await flush()
    }

    /// Stores everything queued, a batch at a time.
    public func flush() async {
        while true {
            let batch = queue.withLock { records in
                let taken = Array(records.prefix(settings.batchSize))
                records.removeFirst(taken.count)
                return taken
            }
            guard !batch.isEmpty else { return }
            do {
                try await write(batch)
            } catch {
                metrics?.recordDroppedRecords(queue: settings.name, count: batch.count)
                logger.warning("records not stored", metadata: [
                    "queue": "\(settings.name)", "count": "\(batch.count)", "error": "\(String(reflecting: type(of: error)))",
                ])
                return
            }
        }
    }
}

/// Writes this node's provider health every few seconds (an upsert of its rows) and deletes the
/// rows of nodes silent for a day.
public struct NodeHealthReporter: Service {
    let nodeID: String
    let store: any NodeHealthStore
    let snapshot: @Sendable () async -> [ProviderHealth]
    let interval: Duration
    let logger: Logger

    public static let retention: TimeInterval = 24 * 3600

    public init(
        nodeID: String, store: any NodeHealthStore, interval: Duration = .seconds(5), logger: Logger,
        snapshot: @escaping @Sendable () async -> [ProviderHealth]
    ) {
        self.nodeID = nodeID
        self.store = store
        self.snapshot = snapshot
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var rounds = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let now = Date()
                try await store.saveNodeHealth(NodeHealth(nodeID: nodeID, updatedAt: now, providers: await snapshot()))
                if rounds % 120 == 0 { try await store.pruneNodeHealth(before: now.addingTimeInterval(-Self.retention)) }
            } catch {
                logger.warning("node health not written", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            }
            rounds += 1
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
