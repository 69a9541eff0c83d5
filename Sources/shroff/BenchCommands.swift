import ArgumentParser
import Foundation
import ShroffApp
import _CryptoExtras

/// `shroff bench-seed`: the growth benchmark's database (bench/run, README "Benchmark").
struct BenchSeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-seed",
        abstract: "Fill the configured database with final payment intents of a merchant of their own, for benchmarks."
    )

    @Option(help: "How many intents (1 to 10000000).")
    var intents: Int

    @Option(name: .customLong("webhooks-to"), help: "Also queue two webhook events per intent for this URL (the webhook benchmark).")
    var webhooksTo: String?

    func run() async throws {
        let reader = settingsReader()
        var logger = makeLogger("shroff", settings: LogSettings(reading: reader))
        logger.logLevel = .warning
        let configuration = try GatewayConfiguration(reading: reader)
        let started = ContinuousClock.now
        let uid = try await BenchmarkSeed.seed(intents: intents, webhooksTo: webhooksTo, configuration: configuration, logger: logger) { seeded in
            if seeded % 100_000 < BenchmarkSeed.batchSize { Console.write("seeded \(seeded)") }
        }
        Console.write("seeded \(intents) intents for merchant \(uid) in \(started.duration(to: .now).components.seconds) s")
    }
}

/// `shroff bench-rsa`: how many RSA-2048 PKCS#1 v1.5 SHA-256 signatures (what every AMS call and
/// answer costs) swift-crypto makes a second on one thread, so bench/run can state the bound a
/// create is measured against on this machine.
struct BenchRSA: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-rsa", abstract: "Print swift-crypto's RSA-2048 signing rate on one thread (signatures a second)."
    )

    @Option(help: "How long to sign, in seconds.")
    var seconds: Double = 3

    func run() async throws {
        guard seconds > 0, seconds <= 60 else { throw ValidationError("--seconds: more than 0, at most 60") }
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let message = Data(repeating: 0x41, count: 600)
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let started = ContinuousClock.now
        var count = 0
        while ContinuousClock.now < deadline {
            _ = try key.signature(for: message, padding: .insecurePKCS1v1_5)
            count += 1
        }
        let elapsed = started.duration(to: .now)
        let rate = Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        Console.write(String(Int(rate.rounded())))
    }
}
