import Foundation
import Logging
import ShroffCore
import ShroffSQLite

/// Everything the gateway keeps in its database, as the core's ports. A store contract test takes this,
/// so that another implementation (PostgreSQL) can run the same contract.
typealias GatewayStore = MerchantStore & PaymentIntentStore & SecretStore & RefundStore & ReconciliationStore & WebhookStore
    & ConsoleStore & ProviderActivityLog & RequestLogStore & OperatorAlertStore & NodeHealthStore & SettlementStore

/// How a contract test gets a store and, for durability checks, the same data through a new connection.
protocol StoreHarness: Sendable {
    var store: any GatewayStore { get }
    /// Closes this store and opens the same data again (a restart), running migrations again.
    func reopened() async throws -> Self
    func tearDown() async throws
}

/// A fresh SQLite database in a temporary folder.
struct SQLiteHarness: StoreHarness {
    let folder: URL
    let database: SQLiteDatabase
    var store: any GatewayStore { SQLiteStore(database: database) }
    var sqliteStore: SQLiteStore { SQLiteStore(database: database) }
    var path: String { folder.appendingPathComponent("shroff.sqlite").path }

    static func make() async throws -> SQLiteHarness {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shroff-tests-\(UUID().uuidString)")
        let path = folder.appendingPathComponent("shroff.sqlite").path
        return SQLiteHarness(folder: folder, database: try await SQLiteDatabase.open(path: path, logger: quietLogger))
    }

    func reopened() async throws -> SQLiteHarness {
        try await database.close()
        return SQLiteHarness(folder: folder, database: try await SQLiteDatabase.open(path: path, logger: quietLogger))
    }

    /// Opens a second connection on the same file without closing the first.
    func openAgain() async throws -> SQLiteDatabase {
        try await SQLiteDatabase.open(path: path, logger: quietLogger)
    }

    func tearDown() async throws {
        try? await database.close()
        try? FileManager.default.removeItem(at: folder)
    }
}

/// Runs `body` with a fresh SQLite harness and removes the database afterwards.
func withSQLiteHarness(_ body: (SQLiteHarness) async throws -> Void) async throws {
    let harness = try await SQLiteHarness.make()
    do {
        try await body(harness)
    } catch {
        try await harness.tearDown()
        throw error
    }
    try await harness.tearDown()
}

let quietLogger: Logger = {
    var logger = Logger(label: "shroff-tests")
    logger.logLevel = .critical
    return logger
}()

// MARK: - Fixtures

/// A date on a whole millisecond, as the stores keep them.
func millisDate(_ millis: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(millis) / 1000) }

func makeMerchant(name: String = "Shop", clientID: String = "mch_\(UUID().uuidString.prefix(8))", h5Domain: String? = "shop.example") -> Merchant {
    Merchant(
        uid: 0, name: name, clientID: clientID, apiKeyHash: String(repeating: "ab", count: 32),
        webhookSecret: "whsec_" + Data((0..<32).map { UInt8($0) }).base64EncodedString(), h5Domain: h5Domain,
        defaultNotifyURL: "https://shop.example/hooks", createdAt: millisDate(1_700_000_000_123)
    )
}

func makeIntent(
    merchantUID: Int64, merchantOrderID: String = "P9297895081903", orderID: String = Identifier.paymentIntent(at: Date()),
    amount: Money = Money(minorUnits: 1050, currency: Currency(code: "HKD")!), fingerprint: String = "fingerprint-1"
) -> PaymentIntent {
    PaymentIntent(
        orderID: orderID, merchantUID: merchantUID, merchantOrderID: merchantOrderID, amount: amount,
        description: "Online Payment", notifyURL: "https://shop.example/notify", returnURL: nil,
        method: PaymentMethodSpec(channel: .aplus, flow: .cashier, wallet: "CONNECT_WALLET", presentmentMode: "UNIFIED", terminalType: "WEB"),
        createTime: millisDate(1_700_000_000_456), expiresAt: millisDate(1_700_001_800_456), requestFingerprint: fingerprint
    )
}

let hongKongTime = TimestampFormat(utcOffsetSeconds: 8 * 3600)

/// The webhook builder the payment service uses.
let makeWebhook: @Sendable (PaymentIntent, WebhookEvent.Kind) -> WebhookEvent = { intent, kind in
    WebhookPayload.event(kind, for: intent, at: millisDate(1_700_000_100_789), timestamps: hongKongTime)
}
