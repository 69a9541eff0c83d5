import Foundation
import ShroffClient
import Testing

/// The Swift SDK and the `shroff` command, end to end over HTTP: create → pay → webhook forwarded
/// by `shroff listen` → refund.
@Suite("SDK and command line", .serialized)
struct ClientAndCLITests {
    /// The built `shroff` binary, next to the test bundle.
    static var binary: URL {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("shroff").path), folder.path != "/" {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("shroff")
    }

    static func environment(_ server: Running, configFolder: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SHROFF_CONFIG_DIR"] = configFolder
        environment["NO_COLOR"] = "1"
        return environment
    }

    /// Runs the CLI to completion; answers its exit code and standard output.
    static func cli(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
    }

    @Test("SDK create → pay → `shroff listen` forwards the signed webhook → `shroff refunds create` → SDK query")
    func fullPath() async throws {
        let receiver = WebhookReceiver(.accept)
        let receiverPort = try freePort()
        try await receiver.serve(port: receiverPort) {
            try await Running.with { server in
                let configFolder = temporaryFolder()
                let environment = Self.environment(server, configFolder: configFolder)
                let login = try Self.cli(
                    ["login", "--base-url", server.gatewayURL, "--client-id", server.credentials.clientID, "--api-key", server.credentials.apiKey],
                    environment: environment
                )
                #expect(login.status == 0, "\(login.errors)")
                let attributes = try FileManager.default.attributesOfItem(atPath: configFolder + "/profile.json")
                #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

                // shroff listen, forwarding to the local receiver with the merchant's secret.
                let listen = Process()
                listen.executableURL = Self.binary
                listen.arguments = ["listen", "--forward-to", "http://127.0.0.1:\(receiverPort)/hooks", "--interval", "0.2", "--json"]
                var listenEnvironment = environment
                listenEnvironment["SHROFF_WEBHOOK_SECRET"] = server.credentials.webhookSecret
                listen.environment = listenEnvironment
                let listenOutput = Pipe()
                listen.standardOutput = listenOutput
                listen.standardError = FileHandle.nullDevice
                try listen.run()
                defer { if listen.isRunning { listen.terminate() } }
                try await Task.sleep(for: .milliseconds(800))

                let client = ShroffClient(configuration: .init(
                    baseURL: server.gatewayURL, clientID: server.credentials.clientID, apiKey: server.credentials.apiKey
                ))
                let intent = try await client.createPaymentIntent(CreatePaymentIntent(
                    amount: "25.5", currency: "HKD", merchantOrderID: uniqueOrderID(), description: "CLI test",
                    paymentMethod: .alipayHKQRCode(wallet: "ALIPAYHK")
                ))
                #expect(intent.status == "PENDING")
                #expect(intent.nextAction?.type == "render_qrcode")
                _ = try await server.simulate(paymentRequestID: intent.orderID, outcome: "success")

                let received = await receiver.waitFor(1)
                let forwarded = try #require(received.first)
                let event = try WebhookVerifier(secret: server.credentials.webhookSecret).verify(body: forwarded.body, headers: forwarded.headers)
                #expect(event.notifyType == "payment_success")
                #expect((forwarded.json["data"] as? [String: Any])?["order_id"] as? String == intent.orderID)

                let refund = try Self.cli(["refunds", "create", "--order-id", intent.orderID, "--amount", "5", "--json"], environment: environment)
                #expect(refund.status == 0, "\(refund.errors)")
                let refundJSON = try #require(try JSONSerialization.jsonObject(with: Data(refund.output.utf8)) as? [String: Any])
                #expect(refundJSON["amount"] as? String == "5")

                let query = try Self.cli(["intents", "query", "--order-id", intent.orderID], environment: environment)
                #expect(query.output.contains("SUCCEEDED"))
                #expect(!query.output.contains("\u{1B}["), "colours in piped output")
                let paid = try await client.paymentIntent(orderID: intent.orderID)
                #expect(paid.refundedAmount == "5")

                let list = try Self.cli(["webhooks", "list", "--order-id", intent.orderID], environment: environment)
                #expect(list.output.contains("payment_success"))

                let refused = try Self.cli(["refunds", "create", "--order-id", intent.orderID, "--amount", "100"], environment: environment)
                #expect(refused.status != 0)
                #expect(refused.errors.contains("42200"))

                listen.terminate()
                listen.waitUntilExit()
                let lines = String(decoding: listenOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                #expect(lines.contains(intent.orderID))
            }
        }
    }

    @Test("the SDK logs in again when its token is refused, and retries 503s with the same merchant_order_id")
    func sdkRetries() async throws {
        try await Running.with { server in
            let client = ShroffClient(configuration: .init(
                baseURL: server.gatewayURL, clientID: server.credentials.clientID, apiKey: server.credentials.apiKey, maxRetries: 2
            ))
            let merchantOrderID = uniqueOrderID()
            do {
                _ = try await client.createPaymentIntent(CreatePaymentIntent(
                    amount: "2.52", currency: "USD", merchantOrderID: merchantOrderID, description: "unknown result",
                    paymentMethod: .aplusCashier()
                ))
                Issue.record("a U result was answered as success")
            } catch let error as ShroffError {
                #expect(error.code == 50300)
                #expect(error.isRetryable)
            }
            // One intent despite three attempts.
            let intent = try await client.paymentIntent(merchantOrderID: merchantOrderID)
            #expect(intent.status == "PENDING")
            let wrong = ShroffClient(configuration: .init(baseURL: server.gatewayURL, clientID: server.credentials.clientID, apiKey: "sk_wrong"))
            do {
                _ = try await wrong.paymentIntent(orderID: intent.orderID)
                Issue.record("a wrong key was accepted")
            } catch let error as ShroffError {
                #expect(error.code == 40100)
            }
        }
    }
}
