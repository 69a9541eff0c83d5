/// The retry loop both notifiers share: before each attempt it waits out that attempt's delay in
/// the schedule (each counted from the previous attempt; the first lengthened by `extraDelay`),
/// and it stops once an attempt says the delivery is over or the task is cancelled.
enum SandboxRetryLoop {
    /// Runs on the caller's actor, as the notifiers' loops did before they shared it.
    /// `attempt` gets the attempt number (from 1) and answers true when no retry should follow.
    static func run(
        schedule: [Duration], extraDelay: Duration, isolation: isolated (any Actor)? = #isolation,
        attempt: (_ number: Int) async -> Bool
    ) async {
        for (index, delay) in schedule.enumerated() {
            do { try await Task.sleep(for: index == 0 ? delay + extraDelay : delay) } catch { return }
            if await attempt(index + 1) { return }
        }
    }
}
