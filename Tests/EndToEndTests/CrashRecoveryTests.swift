import Foundation
import Logging
import ShroffApp
import ShroffClient
import ShroffCore
import ShroffSandbox
import Testing

/// The real `shroff` executable in a child process, killed with SIGKILL and started again on the
/// same data folder: the webhook outbox survives.
@Suite("Crash recovery of the webhook outbox", .serialized)
struct CrashRecoveryTests {
    /// A gateway process (embedded sandbox, SQLite in `dataDirectory`).
    final class GatewayProcess {
        let process = Process()
        let port: Int

        init(port: Int, dataDirectory: String) throws {
            self.port = port
            // `swift test` builds the executable next to the test bundle.
            let testBinary = URL(fileURLWithPath: CommandLine.arguments[0])
            var folder = testBinary.deletingLastPathComponent()
            while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("shroff").path), folder.path != "/" {
                folder = folder.deletingLastPathComponent()
            }
            process.executableURL = folder.appendingPathComponent("shroff")
            var environment = ProcessInfo.processInfo.environment
            environment["SHROFF_PORT"] = String(port)
            environment["SHROFF_DATA_DIR"] = dataDirectory
            environment["SHROFF_LOG_LEVEL"] = "warning"
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        var url: String { "http://127.0.0.1:\(port)" }

        func kill() {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func stop() {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
    }

    static func waitUntilUp(_ gateway: GatewayProcess, client: Running) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let answer = try? await client.send(.GET, "\(gateway.url)/healthz"), answer.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the gateway process did not start")
    }

    /// An HTTP client pointed at the child process (reusing the harness's helpers).
    static func client(for gateway: GatewayProcess, dataDirectory: String, credentials: MerchantCredentials) -> Running {
        Running(
            gatewayURL: gateway.url, sandboxURL: gateway.url, dataDirectory: dataDirectory,
            keys: try! SandboxKeys.load(dataDirectory: dataDirectory), credentials: credentials,
            configuration: GatewayConfiguration(port: gateway.port, dataDirectory: dataDirectory), http: .shared
        )
    }

    static func prepare() async throws -> (folder: String, credentials: MerchantCredentials) {
        let folder = temporaryFolder()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let credentials = try await MerchantAdministration.create(
            name: "Crash shop", h5Domain: nil, configuration: GatewayConfiguration(dataDirectory: folder), logger: logger
        )
        return (folder, credentials)
    }

    @Test("SIGKILL while a webhook is being delivered: after restart it is delivered again, same webhook-id")
    func killedDuringDelivery() async throws {
        let (folder, credentials) = try await Self.prepare()
        let receiver = WebhookReceiver(.hangFirst(.seconds(2)))
        let receiverPort = try freePort()
        let port = try freePort()
        try await receiver.serve(port: receiverPort) {
            let first = try GatewayProcess(port: port, dataDirectory: folder)
            let client = Self.client(for: first, dataDirectory: folder, credentials: credentials)
            try await Self.waitUntilUp(first, client: client)
            let token = try await client.login()
            let created = try await client.api(
                "pa/payment_intents/create", token: token, WebhookTests.request(notifyURL: "http://127.0.0.1:\(receiverPort)/hooks")
            )
            let orderID = try #require(created.data["order_id"] as? String)
            _ = try await client.simulate(paymentRequestID: orderID, outcome: "success")
            // The gateway is now in the middle of delivering: the receiver holds the request.
            #expect(await receiver.waitFor(1).count == 1)
            first.kill()

            let second = try GatewayProcess(port: port, dataDirectory: folder)
            defer { second.stop() }
            try await Self.waitUntilUp(second, client: client)
            let received = await receiver.waitFor(2, timeout: .seconds(30))
            try #require(received.count >= 2)
            #expect(received[1].id == received[0].id)
            let event = try WebhookVerifier(secret: credentials.webhookSecret).verify(body: received[1].body, headers: received[1].headers)
            #expect(event.notifyType == "payment_success")
            let query = try await client.api("pa/payment_intents/query", token: token, #"{"order_id":"\#(orderID)"}"#)
            #expect(query.data["status"] as? String == "SUCCEEDED")
        }
    }

    @Test("SIGKILL after the status change, before any delivery succeeded: delivered after restart, on schedule")
    func killedBeforeDelivery() async throws {
        let (folder, credentials) = try await Self.prepare()
        let receiverPort = try freePort()
        let port = try freePort()
        let first = try GatewayProcess(port: port, dataDirectory: folder)
        let client = Self.client(for: first, dataDirectory: folder, credentials: credentials)
        try await Self.waitUntilUp(first, client: client)
        let token = try await client.login()
        // Nothing listens at the notify URL yet: the first attempt fails and a retry is scheduled.
        let created = try await client.api(
            "pa/payment_intents/create", token: token, WebhookTests.request(notifyURL: "http://127.0.0.1:\(receiverPort)/hooks")
        )
        let orderID = try #require(created.data["order_id"] as? String)
        _ = try await client.simulate(paymentRequestID: orderID, outcome: "success")
        #expect(try await client.awaitFinal(orderID: orderID, token: token).data["status"] as? String == "SUCCEEDED")
        first.kill()

        let receiver = WebhookReceiver(.accept)
        try await receiver.serve(port: receiverPort) {
            let second = try GatewayProcess(port: port, dataDirectory: folder)
            defer { second.stop() }
            try await Self.waitUntilUp(second, client: client)
            let received = await receiver.waitFor(1, timeout: .seconds(30))
            try #require(received.count == 1)
            #expect(received[0].json["notify_type"] as? String == "payment_success")
            #expect((received[0].json["data"] as? [String: Any])?["order_id"] as? String == orderID)
            let listed = try await client.api("webhooks/deliveries/list", token: token, #"{"order_id":"\#(orderID)"}"#)
            let delivery = try #require((listed.data["deliveries"] as? [[String: Any]])?.first)
            #expect(delivery["webhook_id"] as? String == received[0].id)
        }
    }
}
