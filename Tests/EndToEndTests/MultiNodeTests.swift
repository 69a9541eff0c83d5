import AsyncHTTPClient
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import ShroffApp
import ShroffCore
import ShroffPostgres
import ShroffSandbox
import Testing

/// Two real `shroff` processes on one PostgreSQL database and one sandbox provider, as behind a load
/// balancer: racing duplicate creates across both, many payments through both, one node killed
/// with SIGKILL half-way. Runs when SHROFF_TEST_POSTGRES_URL is set (`.ci/with-postgres`).
@Suite("Several gateway nodes on one PostgreSQL", .serialized, .enabled(if: TestPostgres.isAvailable, "SHROFF_TEST_POSTGRES_URL is not set"))
struct MultiNodeTests {
    /// A gateway process pointed at the shared database and the standalone sandbox.
    final class Node {
        let process = Process()
        let port: Int
        let name: String

        init(name: String, port: Int, environment extra: [String: String], logFolder: String) throws {
            self.name = name
            self.port = port
            process.executableURL = Self.binary
            var environment = ProcessInfo.processInfo.environment
            for (key, value) in extra { environment[key] = value }
            environment["SHROFF_PORT"] = String(port)
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            let log = "\(logFolder)/\(name).log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: log)
            try process.run()
        }

        /// `swift test` builds the executable next to the test bundle.
        static var binary: URL {
            var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("shroff").path), folder.path != "/" {
                folder = folder.deletingLastPathComponent()
            }
            return folder.appendingPathComponent("shroff")
        }

        var url: String { "http://127.0.0.1:\(port)" }

        func stop() {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
    }

    /// Runs `shroff ARGUMENTS` to its end and returns its exit status and standard output.
    static func run(_ arguments: [String], environment extra: [String: String]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = Node.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    @Test("racing duplicate creates, many payments through two nodes, one node killed: one intent and one payment each, all paid, every webhook delivered")
    func twoNodesOneDatabase() async throws {
        var logger = Logger(label: "multi-node")
        logger.logLevel = .critical
        let database = try await TestPostgres.createDatabase()
        let databaseURL = database.url(database: database.database)
        let folder = temporaryFolder()
        let keys = try SandboxKeys.load(dataDirectory: folder)

        // `shroff migrate` prepares the database once, before the nodes start; never shows the password.
        let migrated = try Self.run(["migrate"], environment: ["SHROFF_DATABASE_URL": databaseURL, "SHROFF_DATA_DIR": folder])
        #expect(migrated.status == 0, "shroff migrate failed: \(migrated.errors)")
        #expect(migrated.output.contains("schema version \(PostgresGatewayDatabase.latestVersion)"))
        if let password = database.password {
            #expect(!migrated.output.contains(password) && !migrated.errors.contains(password))
        }

        // The sandbox provider alone on its own port, as a remote provider.
        let sandboxPort = try freePort()
        let sandboxURL = "http://127.0.0.1:\(sandboxPort)"
        let started = StartSignal(count: 1)
        let sandbox = try buildSandboxApplication(
            host: "127.0.0.1", port: sandboxPort, publicBaseURL: sandboxURL, providerPrivateKeyPEM: keys.providerPrivateKeyPEM,
            clients: [SandboxDefaults.clientID: keys.gatewayPublicKeyPEM], notificationSchedule: Running.testSchedule,
            logger: logger, onServerRunning: { _ in await started.arrive() }
        )
        let group = ServiceGroup(configuration: .init(services: [sandbox], gracefulShutdownSignals: [], logger: logger))
        let sandboxRunner = Task { try await group.run() }
        await started.wait()
        do {
            try await Self.scenario(database: database, databaseURL: databaseURL, folder: folder, keys: keys, sandboxURL: sandboxURL, logger: logger)
        } catch {
            await group.triggerGracefulShutdown()
            try? await sandboxRunner.value
            throw error
        }
        await group.triggerGracefulShutdown()
        try? await sandboxRunner.value
        await TestPostgres.dropDatabase(database)
    }

    static func scenario(
        database: PostgresURL, databaseURL: String, folder: String, keys: SandboxKeyring, sandboxURL: String, logger: Logger
    ) async throws {

        var configuration = GatewayConfiguration(dataDirectory: folder)
        configuration.databaseURL = databaseURL
        let credentials = try await MerchantAdministration.create(name: "Two-node shop", h5Domain: nil, configuration: configuration, logger: logger)

        let receiver = WebhookReceiver(.accept)
        let receiverPort = try freePort()
        let environment = [
            "SHROFF_DATABASE_URL": databaseURL, "SHROFF_DATA_DIR": folder, "SHROFF_LOG_LEVEL": "warning",
            "SHROFF_AMS_BASE_URL": sandboxURL, "SHROFF_AMS_CLIENT_ID": SandboxDefaults.clientID,
            "SHROFF_AMS_MERCHANT_PRIVATE_KEY": keys.gatewayPrivateKeyPEM, "SHROFF_AMS_PROVIDER_PUBLIC_KEY": keys.providerPublicKeyPEM,
            "SHROFF_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true", "SHROFF_RATE_LIMIT_PER_SECOND": "1000",
        ]
        try await receiver.serve(port: receiverPort) {
            let a = try Node(name: "node-a", port: try freePort(), environment: environment, logFolder: folder)
            let b = try Node(name: "node-b", port: try freePort(), environment: environment, logFolder: folder)
            defer { a.stop(); b.stop() }
            let clientA = Self.client(a, folder: folder, keys: keys, credentials: credentials, sandboxURL: sandboxURL)
            let clientB = Self.client(b, folder: folder, keys: keys, credentials: credentials, sandboxURL: sandboxURL)
            try await Self.waitUntilUp(a, client: clientA)
            try await Self.waitUntilUp(b, client: clientB)

            // A token issued by one node is accepted by the other.
            let token = try await clientA.login()
            #expect(try await clientB.api("pa/payment_intents/query", token: token, #"{"merchant_order_id":"nothing-yet"}"#).code == 40400)
            let notifyURL = "http://127.0.0.1:\(receiverPort)/hooks"

            // 1. Racing duplicate creates: each merchant_order_id sent 3 times to each node at once.
            let duplicated = (0..<12).map { "DUP-\($0)-" + uniqueOrderID() }
            let answers = try await withThrowingTaskGroup(of: (String, String?).self) { group in
                for merchantOrderID in duplicated {
                    for copy in 0..<6 {
                        let client = copy % 2 == 0 ? clientA : clientB
                        group.addTask {
                            let answer = try await client.api(
                                "pa/payment_intents/create", token: token, WebhookTests.request(notifyURL: notifyURL, merchantOrderID: merchantOrderID)
                            )
                            return (merchantOrderID, answer.data["order_id"] as? String)
                        }
                    }
                }
                return try await group.reduce(into: [(String, String?)]()) { $0.append($1) }
            }
            for merchantOrderID in duplicated {
                let orderIDs = Set(answers.filter { $0.0 == merchantOrderID }.map(\.1))
                #expect(orderIDs.count == 1 && !orderIDs.contains(nil), "\(merchantOrderID) answered \(orderIDs)")
            }
            var paid: [String: String] = [:]  // merchant_order_id → order_id
            for (merchantOrderID, orderID) in answers { if let orderID { paid[merchantOrderID] = orderID } }
            for orderID in Set(paid.values) {
                #expect(try await clientA.simulate(paymentRequestID: orderID, outcome: "success").status == 200)
            }

            // 2. Many payments through both nodes, node B killed half-way. A client whose call
            // to B fails retries on A with the same merchant_order_id (as behind a load balancer).
            let alive = Alive()
            let victim = b.process.processIdentifier
            let killer = Task {
                try await Task.sleep(for: .milliseconds(1500))
                await alive.markDead()
                Foundation.kill(victim, SIGKILL)
            }
            let more = try await withThrowingTaskGroup(of: (merchantOrderID: String, orderID: String, node: String).self) { group in
                for index in 0..<40 {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(60 * index))
                        let merchantOrderID = "MANY-\(index)-" + uniqueOrderID()
                        let body = WebhookTests.request(notifyURL: notifyURL, merchantOrderID: merchantOrderID)
                        if index % 2 == 1, await alive.isAlive,
                           let orderID = (try? await clientB.api("pa/payment_intents/create", token: token, body))?.data["order_id"] as? String {
                            _ = try await clientA.simulate(paymentRequestID: orderID, outcome: "success")
                            return (merchantOrderID, orderID, "b")
                        }
                        let answer = try await clientA.api("pa/payment_intents/create", token: token, body)
                        let orderID = try #require(answer.data["order_id"] as? String, "create \(merchantOrderID) failed: \(answer.body)")
                        _ = try await clientA.simulate(paymentRequestID: orderID, outcome: "success")
                        return (merchantOrderID, orderID, index % 2 == 1 ? "a-for-b" : "a")
                    }
                }
                return try await group.reduce(into: [(merchantOrderID: String, orderID: String, node: String)]()) { $0.append($1) }
            }
            _ = try await killer.value
            b.process.waitUntilExit()
            for created in more { paid[created.merchantOrderID] = created.orderID }
            // B served some before it died, A took over B's share after.
            #expect(more.filter { $0.node == "b" }.count > 0)
            #expect(more.filter { $0.node == "a-for-b" }.count > 0)
            #expect(paid.count == 52)

            // Every paid intent ends SUCCEEDED (a notification to the dead node is replaced by
            // reconciliation on the living one, after the dead node's leases end).
            let deadline = ContinuousClock.now + .seconds(150)
            var pending = Set(paid.values)
            while !pending.isEmpty, ContinuousClock.now < deadline {
                for orderID in pending {
                    let answer = try await clientA.api("pa/payment_intents/query", token: token, #"{"order_id":"\#(orderID)"}"#)
                    if answer.data["status"] as? String == "SUCCEEDED" { pending.remove(orderID) }
                }
                if !pending.isEmpty { try await Task.sleep(for: .seconds(1)) }
            }
            #expect(pending.isEmpty, "not SUCCEEDED: \(pending.sorted())")

            // One intent per merchant_order_id, in the database itself.
            let counts = try await Self.intentCounts(database)
            #expect(counts.count == paid.count)
            #expect(counts.allSatisfy { $0.value == 1 }, "duplicated: \(counts.filter { $0.value > 1 })")
            #expect(Set(counts.keys) == Set(paid.keys))

            // One downstream payment per intent, paid.
            for orderID in Set(paid.values) {
                let inspected = try await clientA.send(.GET, "\(sandboxURL)/sandbox/v1/payments/\(orderID)")
                #expect(inspected.status == 200)
                #expect(inspected.json["status"] as? String == "SUCCESS", "\(orderID): \(inspected.body)")
                #expect((inspected.json["pay_calls"] as? Int ?? 0) >= 1)
            }
            // …and no other: the provider's ledger holds exactly one payment per intent.
            let ledger = try await clientA.send(.GET, "\(sandboxURL)/sandbox/v1/payments")
            let downstream = (ledger.json["payments"] as? [[String: Any]] ?? []).compactMap { $0["payment_request_id"] as? String }
            #expect(downstream.count == Set(paid.values).count, "\(downstream.count) downstream payments for \(Set(paid.values).count) intents")
            #expect(Set(downstream) == Set(paid.values))

            // Every event delivered at least once; duplicates carry the same webhook-id.
            let events = try await Self.webhookEvents(database)
            #expect(events.count == paid.count)
            let eventDeadline = ContinuousClock.now + .seconds(120)
            var received = await receiver.received
            while Set(received.map(\.id)).isSuperset(of: events.keys) == false, ContinuousClock.now < eventDeadline {
                try await Task.sleep(for: .seconds(1))
                received = await receiver.received
            }
            let receivedIDs = Set(received.map(\.id))
            #expect(receivedIDs.isSuperset(of: events.keys), "not delivered: \(Set(events.keys).subtracting(receivedIDs).sorted())")
            var idsByOrder: [String: Set<String>] = [:]
            for request in received {
                let orderID = (request.json["data"] as? [String: Any])?["order_id"] as? String ?? "?"
                idsByOrder[orderID, default: []].insert(request.id)
            }
            for (orderID, ids) in idsByOrder {
                #expect(ids.count == 1, "\(orderID) was sent with several webhook-ids: \(ids)")
                #expect(ids.first == events.first { $0.value == orderID }?.key)
            }
            #expect(Set(idsByOrder.keys) == Set(paid.values))
        }
    }

    static func waitUntilUp(_ node: Node, client: Running) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let answer = try? await client.send(.GET, "\(node.url)/readyz"), answer.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("\(node.name) did not start")
        throw NodeDidNotStart()
    }

    struct NodeDidNotStart: Error {}

    actor Alive {
        private(set) var isAlive = true
        func markDead() { isAlive = false }
    }

    static func client(_ node: Node, folder: String, keys: SandboxKeyring, credentials: MerchantCredentials, sandboxURL: String) -> Running {
        Running(
            gatewayURL: node.url, sandboxURL: sandboxURL, dataDirectory: folder, keys: keys, credentials: credentials,
            configuration: GatewayConfiguration(port: node.port, dataDirectory: folder), http: .shared
        )
    }

    /// merchant_order_id → how many intents it has.
    static func intentCounts(_ url: PostgresURL) async throws -> [String: Int] {
        try await query(url, "SELECT merchant_order_id, COUNT(*)::BIGINT FROM payment_intents GROUP BY merchant_order_id") { row in
            let (merchantOrderID, count) = try row.decode((String, Int).self)
            return (merchantOrderID, count)
        }.reduce(into: [:]) { $0[$1.0] = $1.1 }
    }

    /// webhook id → order id of every outbox event.
    static func webhookEvents(_ url: PostgresURL) async throws -> [String: String] {
        try await query(url, "SELECT id, order_id FROM webhook_events") { row -> (String, String) in
            let (id, orderID) = try row.decode((String, String).self)
            return (id, orderID)
        }
            .reduce(into: [:]) { $0[$1.0] = $1.1 }
    }

    static func query<T>(_ url: PostgresURL, _ sql: String, _ map: (PostgresRow) throws -> T) async throws -> [T] {
        var logger = Logger(label: "multi-node")
        logger.logLevel = .critical
        let connection = try await PostgresConnection.connect(configuration: try url.connectionConfiguration(), id: 1, logger: logger)
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
        try await connection.close()
        return try rows.map(map)
    }
}
