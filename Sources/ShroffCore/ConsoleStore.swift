import Crypto
import Foundation

/// Who a browser session belongs to: a merchant (the dashboard) or the operator (the console).
public enum ConsoleSessionKind: String, Sendable, CaseIterable {
    case merchant
    case `operator`
}

/// A signed-in browser session. The cookie holds a random token; only its SHA-256 hash is stored,
/// so a copy of the database opens no session. The CSRF token goes in every form of the session.
public struct ConsoleSession: Sendable, Equatable {
    public let tokenHash: String
    public let kind: ConsoleSessionKind
    /// The merchant of a merchant session; nil for the operator.
    public let merchantUID: Int64?
    public let csrfToken: String
    public let createdAt: Date
    public let expiresAt: Date

    public init(tokenHash: String, kind: ConsoleSessionKind, merchantUID: Int64?, csrfToken: String, createdAt: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.kind = kind
        self.merchantUID = merchantUID
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// The stored form of a session token.
    public static func hash(token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A fresh random token: 32 bytes as hex.
    public static func newToken() -> String { MerchantFactory.randomHex(bytes: 32) }
}

/// Filters of the dashboard's payment list. Pages go newest first; `before` is the last row of
/// the previous page (its create time and order id), so a page is one index range, not an offset.
public struct PaymentListFilter: Sendable, Equatable {
    /// Matches `order_id` or `merchant_order_id` exactly.
    public var search: String?
    public var status: PaymentStatus?
    public var flow: PaymentMethodSpec.Flow?
    public var createdFrom: Date?
    public var createdTo: Date?
    public var before: PaymentListCursor?
    public var limit: Int

    public init(
        search: String? = nil, status: PaymentStatus? = nil, flow: PaymentMethodSpec.Flow? = nil, createdFrom: Date? = nil,
        createdTo: Date? = nil, before: PaymentListCursor? = nil, limit: Int = 50
    ) {
        self.search = search
        self.status = status
        self.flow = flow
        self.createdFrom = createdFrom
        self.createdTo = createdTo
        self.before = before
        self.limit = limit
    }
}

/// A position in the payment list: the create time and order id of a row.
public struct PaymentListCursor: Sendable, Equatable {
    public let createTime: Date
    public let orderID: String

    public init(createTime: Date, orderID: String) {
        self.createTime = createTime
        self.orderID = orderID
    }

    /// `millis.orderID`, as a page link carries it.
    public var text: String { "\(Int64((createTime.timeIntervalSince1970 * 1000).rounded())).\(orderID)" }

    public init?(text: String) {
        guard let dot = text.firstIndex(of: "."), let millis = Int64(text[..<dot]), (0...253_402_300_799_999).contains(millis) else { return nil }
        let orderID = String(text[text.index(after: dot)...])
        guard !orderID.isEmpty, orderID.utf8.count <= 32 else { return nil }
        self.init(createTime: Date(timeIntervalSince1970: TimeInterval(millis) / 1000), orderID: orderID)
    }
}

/// Counts and volume of one group of payments (status, flow and currency), for the overview.
public struct PaymentTally: Sendable, Equatable {
    public let status: PaymentStatus
    public let flow: PaymentMethodSpec.Flow
    public let currency: String
    public let count: Int
    public let amountMinorUnits: Int64
    public let refundedMinorUnits: Int64

    public init(status: PaymentStatus, flow: PaymentMethodSpec.Flow, currency: String, count: Int, amountMinorUnits: Int64, refundedMinorUnits: Int64) {
        self.status = status
        self.flow = flow
        self.currency = currency
        self.count = count
        self.amountMinorUnits = amountMinorUnits
        self.refundedMinorUnits = refundedMinorUnits
    }
}

/// One merchant's share of the webhook outbox, for the operator.
public struct MerchantBacklog: Sendable, Equatable {
    public let merchantUID: Int64
    public let pending: Int
    public let failed: Int
    public let oldestPendingCreatedAt: Date?

    public init(merchantUID: Int64, pending: Int, failed: Int, oldestPendingCreatedAt: Date?) {
        self.merchantUID = merchantUID
        self.pending = pending
        self.failed = failed
        self.oldestPendingCreatedAt = oldestPendingCreatedAt
    }
}

/// What the merchant dashboard and the operator console read and write beyond the API's ports:
/// browser sessions (shared by every node), the payment list, an intent's refunds, merchants.
public protocol ConsoleStore: Sendable {
    func createSession(_ session: ConsoleSession) async throws
    /// The session with this token hash, unless it has expired at `now`.
    func session(tokenHash: String, now: Date) async throws -> ConsoleSession?
    func deleteSession(tokenHash: String) async throws
    /// Removes expired sessions; returns how many.
    @discardableResult func deleteExpiredSessions(now: Date) async throws -> Int
    /// A page of a merchant's intents, newest first.
    func intents(merchantUID: Int64, filter: PaymentListFilter) async throws -> [PaymentIntent]
    /// An intent's refunds, oldest first.
    func refunds(merchantUID: Int64, orderID: String) async throws -> [Refund]
    /// Counts and volumes of a merchant's intents created in `from..<to`.
    func tallies(merchantUID: Int64, from: Date, to: Date) async throws -> [PaymentTally]
    /// A merchant's newest webhook events of one status, newest first.
    func recentDeliveries(merchantUID: Int64, status: DeliveryStatus, limit: Int) async throws -> [WebhookDelivery]
    /// Every merchant, oldest first.
    func allMerchants() async throws -> [Merchant]
    /// Disables (a time) or enables (nil) a merchant: a disabled merchant cannot sign in or call the API.
    func setMerchantDisabled(uid: Int64, at: Date?) async throws -> Merchant?
    /// The webhook outbox's pending and failed events per merchant.
    func outboxBacklogByMerchant() async throws -> [MerchantBacklog]
}

extension PaymentMethodSpec.Flow {
    /// Every flow, in the order pages list them.
    public static let allFlows: [PaymentMethodSpec.Flow] = [.cashier, .csbQRCode, .mobileWeb]
}
