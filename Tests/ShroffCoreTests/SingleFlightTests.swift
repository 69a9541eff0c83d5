import Testing
@testable import ShroffCore

@Suite("Single flight")
struct SingleFlightTests {
    @Test("past its capacity a new key runs unshared instead of growing the map")
    func capped() async throws {
        let flight = SingleFlight<Int>(capacity: 2)
        let gate = AsyncStream<Void>.makeStream()
        let started = Counter()
        let held = (0..<2).map { index in
            Task { try await flight.run("held\(index)") { await started.increment(); for await _ in gate.stream { break }; return index } }
        }
        while await started.value < 2 { await Task.yield() }
        #expect(try await flight.run("third") { 3 } == 3)
        #expect(await flight.inFlight == 2)
        gate.continuation.finish()
        for task in held { _ = try await task.value }
        #expect(await flight.inFlight == 0)
    }
}

actor Counter {
    private(set) var value = 0
    func increment() { value += 1 }
}
