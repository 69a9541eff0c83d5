import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import ShroffApp
import ShroffCore
import ShroffSandbox
import Testing

/// A running gateway (and, unless embedded, a sandbox provider on its own port), both real servers
/// reached over HTTP, on a fresh data folder.
struct Running {
    let gatewayURL: String
    let sandboxURL: String
    let dataDirectory: String
    let keys: SandboxKeyring
    let credentials: MerchantCredentials
    let configuration: GatewayConfiguration
    let http: HTTPClient

    /// Fast notification retries, so a refused notification comes back within a test.
    static let testSchedule: [Duration] = [.zero, .milliseconds(300), .milliseconds(600), .seconds(1), .seconds(2)]

    enum ProviderSetup {
        /// The sandbox alone on another port, configured as a remote provider (`shroff sandbox`).
        case separateSandbox
        /// The sandbox mounted in the gateway, as `swift run shroff` runs it.
        case embedded
        /// A provider address where nothing listens.
        case unreachable
    }

    /// Runs `body` against fresh servers and shuts them down afterwards.
    static func with(
        _ setup: ProviderSetup = .separateSandbox, dataDirectory: String? = nil,
        adjust: (inout GatewayConfiguration) -> Void = { _ in },
        wapSignType: GatewayConfiguration.WAPSignTypeName = .rsa2,
        _ body: (Running) async throws -> Void
    ) async throws {
        var logger = Logger(label: "e2e")
        logger.logLevel = ProcessInfo.processInfo.environment["SHROFF_TEST_LOG"] == nil ? .critical : .debug
        let folder = dataDirectory ?? temporaryFolder()
        let keys = try SandboxKeys.load(dataDirectory: folder)
        let gatewayPort = try freePort()
        let sandboxPort = try freePort()
        let sandboxURL = "http://127.0.0.1:\(sandboxPort)"
        var services: [any Service] = []

        var configuration = GatewayConfiguration(port: gatewayPort, dataDirectory: folder, createDemoMerchant: false)
        // With SHROFF_TEST_POSTGRES_URL: a PostgreSQL database of this folder's own.
        if let databaseURL = try await TestPostgres.databaseURL(forDataDirectory: folder) { configuration.databaseURL = databaseURL }
        switch setup {
        case .embedded:
            configuration.provider = .embeddedSandbox(notificationSchedule: testSchedule, wapSignType: wapSignType)
        case .separateSandbox, .unreachable:
            configuration.provider = .remote(.init(
                baseURL: setup == .unreachable ? "http://127.0.0.1:\(try freePort())" : sandboxURL,
                clientID: SandboxDefaults.clientID, merchantPrivateKey: keys.gatewayPrivateKeyPEM,
                providerPublicKey: keys.providerPublicKeyPEM,
                wap: .init(
                    gatewayURL: sandboxURL + "/gateway.do", partner: SandboxDefaults.wapPartner, signType: wapSignType,
                    md5Key: keys.wapMD5Key, merchantPrivateKey: keys.gatewayPrivateKeyPEM, providerPublicKey: keys.providerPublicKeyPEM
                )
            ))
        }
        adjust(&configuration)

        let started = StartSignal(count: setup == .separateSandbox ? 2 : 1)
        if setup == .separateSandbox {
            services.append(try buildSandboxApplication(
                host: "127.0.0.1", port: sandboxPort, publicBaseURL: sandboxURL,
                providerPrivateKeyPEM: keys.providerPrivateKeyPEM,
                clients: [SandboxDefaults.clientID: keys.gatewayPublicKeyPEM],
                wapPartners: [SandboxDefaults.wapPartner: SandboxWAPPartner(md5Key: keys.wapMD5Key, rsaPublicKeyPEM: keys.gatewayPublicKeyPEM)],
                notificationSchedule: testSchedule,
                logger: logger, onServerRunning: { _ in await started.arrive() }
            ))
        }
        services.append(try await buildApplication(configuration: configuration, logger: logger) { _ in await started.arrive() })

        let credentials = try await MerchantAdministration.create(
            name: "Test shop", h5Domain: "shop.example.com", configuration: configuration, logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [], logger: logger))
        let runner = Task { try await group.run() }
        await started.wait()
        let running = Running(
            gatewayURL: "http://127.0.0.1:\(gatewayPort)",
            sandboxURL: setup == .embedded ? "http://127.0.0.1:\(gatewayPort)" : sandboxURL,
            dataDirectory: folder, keys: keys, credentials: credentials, configuration: configuration,
            http: HTTPClient.shared
        )
        do {
            try await body(running)
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await runner.value
            throw error
        }
        await group.triggerGracefulShutdown()
        try await runner.value
        if dataDirectory == nil { await TestPostgres.dropDatabase(forDataDirectory: folder) }
    }

    /// `shroff merchants create` against the running server's database.
    func createMerchant(name: String, h5Domain: String? = nil, settlementCurrency: String? = nil) async throws -> MerchantCredentials {
        try await MerchantAdministration.create(
            name: name, h5Domain: h5Domain, settlementCurrency: settlementCurrency, configuration: configuration,
            logger: Logger(label: "e2e")
        )
    }

    // MARK: HTTP

    struct Answer {
        let status: Int
        let headers: [(String, String)]
        let body: String

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
        }
        var code: Int? { json["code"] as? Int }
        var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
        var message: String { json["message"] as? String ?? "" }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    func send(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 22)
        return Answer(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: String(buffer: bytes))
    }

    /// POSTs a JSON body to the merchant API with a Bearer token.
    func api(_ path: String, token: String?, _ body: String) async throws -> Answer {
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        return try await send(.POST, "\(gatewayURL)/mch-api/v1/\(path)", headers: headers, body: body)
    }

    func login(_ credentials: MerchantCredentials? = nil) async throws -> String {
        let credentials = credentials ?? self.credentials
        let answer = try await send(.POST, "\(gatewayURL)/mch-api/v1/authentication/login", headers: [
            ("x-client-id", credentials.clientID), ("x-api-key", credentials.apiKey),
        ])
        let token = try #require(answer.data["token"] as? String, "login failed: \(answer.body)")
        return token
    }

    /// Drives the sandbox's test helper as a shopper's button would.
    func simulate(paymentRequestID: String, outcome: String) async throws -> Answer {
        try await send(
            .POST, "\(sandboxURL)/sandbox/v1/payments/simulate", headers: [("Content-Type", "application/json")],
            body: #"{"payment_request_id":"\#(paymentRequestID)","outcome":"\#(outcome)"}"#
        )
    }

    /// Queries until the intent leaves PENDING (the notification is asynchronous) or 15 s pass.
    func awaitFinal(orderID: String, token: String) async throws -> Answer {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            let answer = try await api("pa/payment_intents/query", token: token, #"{"order_id":"\#(orderID)"}"#)
            if answer.data["status"] as? String != "PENDING" || ContinuousClock.now > deadline { return answer }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// Seed 000's example request, with a fresh merchant_order_id.
func seed000Request(merchantOrderID: String = uniqueOrderID(), amount: String = "1") -> String {
    """
    {
    "amount": "\(amount)",
    "currency": "USD",
    "merchant_order_id": "\(merchantOrderID)",
    "payment_method": {
    "type": "aplus",
    "aplus": {
    "flow": "cashier",
    "presentment_mode": "UNIFIED",
    "payment_method": "CONNECT_WALLET",
    "terminal_type": "WEB"
    }
    },
    "description": "Online Payment",
    "notify_url": "https://put_your_site_here/example_url"
    }
    """
}

/// Seed 001's example request, with a fresh merchant_order_id.
func seed001Request(merchantOrderID: String = uniqueOrderID(), amount: String = "1") -> String {
    """
    {
    "amount": "\(amount)",
    "currency": "HKD",
    "merchant_order_id": "\(merchantOrderID)",
    "payment_method": {
    "type": "alipayhk",
    "alipayhk": {
    "flow": "csb_qrcode",
    "payment_method": "ALIPAYCN"
    }
    },
    "description": "Instore Payment",
    "notify_url": "https://put_your_site_here/example_url"
    }
    """
}

func uniqueOrderID() -> String {
    "P" + String(UInt64.random(in: 1_000_000_000...9_999_999_999)) + String(UInt32.random(in: 1000...9999))
}

func temporaryFolder() -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("shroff-e2e-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A port nothing listens on right now (bound and released by the OS).
func freePort() throws -> Int {
    let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .bind(host: "127.0.0.1", port: 0).wait()
    let port = channel.localAddress?.port ?? 0
    try channel.close().wait()
    return port
}

/// Waits until `count` servers have started listening.
actor StartSignal {
    private var remaining: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { remaining = count }

    func arrive() {
        remaining -= 1
        if remaining <= 0 {
            waiters.forEach { $0.resume() }
            waiters = []
        }
    }

    func wait() async {
        if remaining <= 0 { return }
        await withCheckedContinuation { waiters.append($0) }
    }
}
