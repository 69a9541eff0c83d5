import Foundation

/// One merchant API call as the dashboard's request log keeps it: bodies already truncated and with
/// their secrets removed (`RequestLogRedaction`), never an Authorization header.
public struct RequestLogEntry: Sendable, Equatable {
    /// Assigned by the store (0 before it is saved); newer entries have larger ids.
    public let id: Int64
    public let merchantUID: Int64
    public let time: Date
    public let method: String
    public let path: String
    public let httpStatus: Int
    /// The envelope's `code`, when the answer had one.
    public let code: Int?
    public let requestID: String
    public let latencyMilliseconds: Int64
    public let requestBody: String
    public let answerBody: String

    public init(
        id: Int64 = 0, merchantUID: Int64, time: Date, method: String, path: String, httpStatus: Int, code: Int?, requestID: String,
        latencyMilliseconds: Int64, requestBody: String, answerBody: String
    ) {
        self.id = id
        self.merchantUID = merchantUID
        self.time = time
        self.method = String(method.prefix(16))
        self.path = String(path.prefix(256))
        self.httpStatus = httpStatus
        self.code = code
        self.requestID = String(requestID.prefix(64))
        self.latencyMilliseconds = latencyMilliseconds
        self.requestBody = requestBody
        self.answerBody = answerBody
    }
}

/// Filters of the request log's page: newest first, `beforeID` is the last row of the previous page.
public struct RequestLogFilter: Sendable, Equatable {
    /// Matches a `rid` exactly.
    public var requestID: String?
    /// 2, 4 or 5: the HTTP status's hundreds.
    public var statusClass: Int?
    public var beforeID: Int64?
    public var limit: Int

    public init(requestID: String? = nil, statusClass: Int? = nil, beforeID: Int64? = nil, limit: Int = 50) {
        self.requestID = requestID
        self.statusClass = statusClass
        self.beforeID = beforeID
        self.limit = limit
    }
}

/// Where the request log is kept: bounded per merchant and in time, pruned by the background writer.
public protocol RequestLogStore: Sendable {
    func recordRequests(_ entries: [RequestLogEntry]) async throws
    /// A page of a merchant's requests, newest first.
    func requests(merchantUID: Int64, filter: RequestLogFilter) async throws -> [RequestLogEntry]
    func request(merchantUID: Int64, id: Int64) async throws -> RequestLogEntry?
    /// Deletes entries older than `before`, and each merchant's beyond its newest `keepPerMerchant`.
    @discardableResult func pruneRequests(before: Date, keepPerMerchant: Int) async throws -> Int
}

/// An operator alert as it is raised, with the payment it concerns.
public struct RaisedAlert: Sendable, Equatable {
    public let kind: OperatorAlert
    public let merchantUID: Int64?
    public let orderID: String?
    public let refundID: String?
    /// A short description, never key material.
    public let detail: String
    public let time: Date

    public init(_ kind: OperatorAlert, merchantUID: Int64?, orderID: String?, refundID: String? = nil, detail: String, time: Date = Date()) {
        self.kind = kind
        self.merchantUID = merchantUID
        self.orderID = orderID
        self.refundID = refundID
        self.detail = String(detail.prefix(256))
        self.time = time
    }
}

/// A stored operator alert.
public struct StoredAlert: Sendable, Equatable {
    public let id: Int64
    public let alert: RaisedAlert
    public let acknowledgedAt: Date?

    public init(id: Int64, alert: RaisedAlert, acknowledgedAt: Date?) {
        self.id = id
        self.alert = alert
        self.acknowledgedAt = acknowledgedAt
    }
}

/// Where operator alerts are kept, shared by every node (bounded in rows and time).
public protocol OperatorAlertStore: Sendable {
    func recordAlerts(_ alerts: [RaisedAlert]) async throws
    /// The newest alerts, newest first.
    func recentAlerts(limit: Int) async throws -> [StoredAlert]
    /// Marks an alert seen; nil when there is no such alert.
    func acknowledgeAlert(id: Int64, at: Date) async throws -> StoredAlert?
    /// Deletes alerts older than `before`, and all but the newest `keep`.
    @discardableResult func pruneAlerts(before: Date, keep: Int) async throws -> Int
}

/// One provider's health on one node: calls and failures since the node started, and its breaker.
public struct ProviderHealth: Sendable, Equatable {
    public enum BreakerState: String, Sendable {
        case closed
        case open
        case halfOpen = "half-open"
    }

    public let provider: String
    public let calls: Int64
    public let failures: Int64
    public let breaker: BreakerState
    /// When an open breaker lets a trial call through.
    public let openUntil: Date?

    public init(provider: String, calls: Int64, failures: Int64, breaker: BreakerState, openUntil: Date?) {
        self.provider = provider
        self.calls = calls
        self.failures = failures
        self.breaker = breaker
        self.openUntil = openUntil
    }
}

/// A node's latest snapshot of its providers' health.
public struct NodeHealth: Sendable, Equatable {
    public let nodeID: String
    public let updatedAt: Date
    public let providers: [ProviderHealth]

    public init(nodeID: String, updatedAt: Date, providers: [ProviderHealth]) {
        self.nodeID = nodeID
        self.updatedAt = updatedAt
        self.providers = providers
    }
}

/// Where each node writes its provider health every few seconds, for the operator console.
public protocol NodeHealthStore: Sendable {
    /// Replaces the node's rows with this snapshot.
    func saveNodeHealth(_ health: NodeHealth) async throws
    /// Every node that wrote since `since`, newest first.
    func nodeHealth(since: Date) async throws -> [NodeHealth]
    @discardableResult func pruneNodeHealth(before: Date) async throws -> Int
}
