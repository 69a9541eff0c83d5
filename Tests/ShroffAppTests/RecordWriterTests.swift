import Logging
@testable import ShroffBackground
import Synchronization
import Testing

/// The request log's and alerts' writer: a full batch is written at once, not at the next interval;
/// a full queue drops new records; what is queued at shutdown is written.
@Suite("Record writer")
struct RecordWriterTests {
    final class Written: Sendable {
        private let batches = Mutex<[[Int]]>([])
        func add(_ batch: [Int]) { batches.withLock { $0.append(batch) } }
        var all: [[Int]] { batches.withLock { $0 } }
    }

    static func writer(
        batchSize: Int, capacity: Int = 100, flushInterval: Duration, into written: Written,
        pruneInterval: Duration = .seconds(600), prune: @escaping @Sendable () -> Void = {}
    ) -> RecordWriter<Int> {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return RecordWriter(
            settings: .init(name: "test", capacity: capacity, batchSize: batchSize, flushInterval: flushInterval, pruneInterval: pruneInterval),
            metrics: nil, logger: logger, write: { written.add($0) }, prune: prune
        )
    }

    @Test("between flushes the writer waits: woken early by a full batch, it does not then run without pause")
    func waitsBetweenPasses() async throws {
        let written = Written()
        let passes = Mutex(0)
        // Pruning at every pass counts the passes.
        let writer = Self.writer(
            batchSize: 2, flushInterval: .milliseconds(100), into: written, pruneInterval: .zero, prune: { passes.withLock { $0 += 1 } }
        )
        let running = Task { try await writer.run() }
        try await Task.sleep(for: .milliseconds(50))
        writer.submit(1)
        writer.submit(2)
        try await Task.sleep(for: .milliseconds(500))
        running.cancel()
        _ = try? await running.value
        #expect(written.all == [[1, 2]])
        // About one pass a tenth of a second, plus the early one; a loop that does not wait makes thousands.
        #expect(passes.withLock { $0 } <= 12)
    }

    @Test("a batch's worth of records is written at once, long before the flush interval")
    func fullBatchWakesTheWriter() async throws {
        let written = Written()
        let passes = Mutex(0)
        // The first pass prunes (and finds nothing to write); then it waits for the interval or a full batch.
        let writer = Self.writer(batchSize: 5, flushInterval: .seconds(3600), into: written, prune: { passes.withLock { $0 += 1 } })
        let running = Task { try await writer.run() }
        for _ in 0..<250 where passes.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(passes.withLock { $0 } == 1)
        for record in 1...4 { writer.submit(record) }
        try await Task.sleep(for: .milliseconds(200))
        #expect(written.all.isEmpty)
        writer.submit(5)
        for _ in 0..<100 where written.all.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        #expect(written.all == [[1, 2, 3, 4, 5]])
        running.cancel()
        _ = try? await running.value
    }

    @Test("a full queue drops the new record; what is queued at shutdown is written")
    func boundedAndFlushedAtShutdown() async throws {
        let written = Written()
        let writer = Self.writer(batchSize: 10, capacity: 3, flushInterval: .seconds(3600), into: written)
        #expect(writer.submit(1) && writer.submit(2) && writer.submit(3))
        #expect(!writer.submit(4))
        #expect(writer.pending == 3)
        let running = Task { try await writer.run() }
        for _ in 0..<100 where written.all.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        #expect(written.all == [[1, 2, 3]])
        writer.submit(5)
        running.cancel()
        _ = try? await running.value
        #expect(written.all == [[1, 2, 3], [5]])
    }
}
