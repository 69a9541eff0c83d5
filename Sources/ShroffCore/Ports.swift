import Foundation

/// Persistence of merchants.
public protocol MerchantStore: Sendable {
    /// Saves a new merchant and returns it with its assigned uid.
    func createMerchant(_ merchant: Merchant) async throws -> Merchant
    func merchant(clientID: String) async throws -> Merchant?
    func merchant(uid: Int64) async throws -> Merchant?
    func merchantCount() async throws -> Int
    /// Replaces the webhook secret; the old one keeps signing until `previousValidUntil`.
    func rotateWebhookSecret(uid: Int64, newSecret: String, previousValidUntil: Date) async throws -> Merchant?
    func setDefaultNotifyURL(uid: Int64, url: String?) async throws -> Merchant?
}

/// The webhook outbox's delivery side. Events enter it with `PaymentIntentStore.transition`.
public protocol WebhookStore: Sendable {
    /// Leases due pending deliveries for `lease` (so no other dispatcher takes them), at most one per
    /// intent and never one whose intent has an earlier event pending, within `limits`: merchants
    /// take turns (each merchant's oldest first, then each one's next), at most `limits.limit` in all,
    /// none beyond a merchant's or a target URL's room. Returned oldest first.
    func claimDueDeliveries(now: Date, limits: DeliveryClaimLimits, lease: Duration) async throws -> [DeliveryJob]
    /// Ends a claimed delivery's lease without an attempt and makes it due at `until`: the attempt
    /// count is unchanged (no retry is used up) and the intent's later events keep waiting behind
    /// it. `note`, when given, becomes its last error (why it waits).
    func postponeDelivery(eventID: String, until: Date, note: String?) async throws
    /// Records an attempt and the decision it led to, and ends the lease, in one transaction.
    func recordAttempt(_ attempt: DeliveryAttempt, decision: DeliveryDecision) async throws
    /// Marks a claimed delivery that has nowhere to go, and ends the lease.
    func recordNoEndpoint(eventID: String, at: Date) async throws
    /// Whether every lease in this database can only have been taken by this process (an embedded,
    /// single-node database): then a dispatcher starting up may end them all with `releaseAllLeases`,
    /// since they belong to a previous run of this process that died. False for a database shared by
    /// several nodes, where a lease ends only when it runs out.
    var leasesAreExclusiveToThisProcess: Bool { get }
    /// Ends every lease when `leasesAreExclusiveToThisProcess`; does nothing on a shared database
    /// (other nodes may hold leases on work they are doing).
    func releaseAllLeases() async throws
    func deliveries(merchantUID: Int64, filter: DeliveryFilter) async throws -> [WebhookDelivery]
    func delivery(merchantUID: Int64, eventID: String) async throws -> WebhookDelivery?
    func attempts(eventID: String) async throws -> [DeliveryAttempt]
    /// Puts a delivery back in the queue, due at `now` (a replay keeps the same webhook-id).
    func requeue(merchantUID: Int64, eventID: String, now: Date) async throws -> WebhookDelivery?
    /// The whole outbox's backlog, across merchants and nodes.
    func outboxBacklog() async throws -> OutboxBacklog
}

extension WebhookStore {
    /// Claims up to `limit` due deliveries, whoever's they are.
    public func claimDueDeliveries(now: Date, limit: Int, lease: Duration) async throws -> [DeliveryJob] {
        try await claimDueDeliveries(now: now, limits: DeliveryClaimLimits(limit: limit, perMerchant: limit), lease: lease)
    }
}

/// A key/value store for gateway-wide secrets shared by every node (the token signing key).
public protocol SecretStore: Sendable {
    /// The secret called `name`, created from `make` by the first caller and identical for all later ones.
    func secret(named name: String, orCreate make: @Sendable () -> [UInt8]) async throws -> [UInt8]
}

/// What `PaymentIntentStore.insert` found.
public enum InsertOutcome: Sendable, Equatable {
    case inserted(PaymentIntent)
    /// An intent with the same merchant_order_id already existed.
    case existing(PaymentIntent)
}

/// What `PaymentIntentStore.transition` did.
public enum TransitionOutcome: Sendable, Equatable {
    case applied(PaymentIntent, WebhookEvent?)
    case unchanged(PaymentIntent, PaymentTransition)
    case notFound
}

/// Persistence of payment intents and of the webhook outbox.
public protocol PaymentIntentStore: Sendable {
    /// Inserts the intent unless the merchant already has one with the same merchant_order_id,
    /// atomically (two racing inserts make one intent).
    func insert(_ intent: PaymentIntent) async throws -> InsertOutcome
    /// Inserts each intent the merchant has no intent of the same merchant_order_id for, and the
    /// outbox events (in order) of those that were new, all in one transaction, and returns how many
    /// intents were new: bulk loads (`shroff bench-seed`), not payments.
    func insertAll(_ intents: [PaymentIntent], events: [WebhookEvent]) async throws -> Int
    func intent(orderID: String) async throws -> PaymentIntent?
    func intent(merchantUID: Int64, orderID: String) async throws -> PaymentIntent?
    func intent(merchantUID: Int64, merchantOrderID: String) async throws -> PaymentIntent?
    /// In one transaction: reads the intent, asks `decide` what happens, writes the new intent and
    /// the webhook event it causes (built by `makeEvent`) together.
    func transition(
        orderID: String,
        decide: @Sendable (PaymentIntent) -> PaymentTransition,
        makeEvent: @Sendable (PaymentIntent, WebhookEvent.Kind) -> WebhookEvent
    ) async throws -> TransitionOutcome
    /// The outbox events of an intent, oldest first.
    func webhookEvents(orderID: String) async throws -> [WebhookEvent]
}

/// A payment as the gateway asks a wallet provider to start it.
public struct ProviderPaymentRequest: Sendable, Equatable {
    public let intent: PaymentIntent
    public let merchantName: String

    public init(intent: PaymentIntent, merchantName: String) {
        self.intent = intent
        self.merchantName = merchantName
    }
}

/// The provider's answer to starting a payment.
public enum ProviderPaymentStart: Sendable, Equatable {
    /// Waiting for the shopper, who must follow `nextAction`.
    case awaitingShopper(NextAction, providerPaymentID: String?)
    /// Already paid (a retried pay for a payment that went through).
    case succeeded(payTime: Date, wallet: String?, providerPaymentID: String?)
    /// A definitive rejection (an F result) with the provider's result code.
    case rejected(code: String, message: String)
}

/// The provider's view of a payment, from an inquiry.
public enum ProviderPaymentState: Sendable, Equatable {
    case processing
    case succeeded(payTime: Date, wallet: String?, settleCurrency: String?)
    case failed(code: String)
    /// The provider has no such payment (the pay call never arrived, or has not yet).
    case notFound
}

/// The provider's answer to cancelling a payment.
public enum ProviderCancelResult: Sendable, Equatable {
    case cancelled
    /// Too late: the shopper paid.
    case alreadyPaid(payTime: Date, wallet: String?, settleCurrency: String?)
    /// The provider never had the payment; nothing can be paid.
    case notFound

    /// What a refused cancel means: the payment's own state, as an inquiry found it, says what is true
    /// (paid, closed, or never there). `refusal` says what the provider answered, for the error.
    public static func afterRefusal(_ state: ProviderPaymentState, refusal: String) throws -> ProviderCancelResult {
        switch state {
        case .succeeded(let payTime, let wallet, let settleCurrency):
            .alreadyPaid(payTime: payTime, wallet: wallet, settleCurrency: settleCurrency)
        case .failed:
            .cancelled
        case .notFound:
            .notFound
        case .processing:
            throw ProviderUnavailable(reason: "\(refusal) while the payment is processing", isTransportFailure: false)
        }
    }
}

/// A refund as the gateway asks the provider to make it.
public struct ProviderRefundRequest: Sendable, Equatable {
    public let refund: Refund
    public let intent: PaymentIntent

    public init(refund: Refund, intent: PaymentIntent) {
        self.refund = refund
        self.intent = intent
    }
}

/// The provider's answer to a refund call.
public enum ProviderRefundStart: Sendable, Equatable {
    case succeeded(time: Date, providerRefundID: String?)
    /// Accepted; the result comes by notification or inquiry.
    case processing(providerRefundID: String?)
    case rejected(code: String, message: String)
}

/// The provider's view of a refund, from an inquiry.
public enum ProviderRefundState: Sendable, Equatable {
    case processing
    case succeeded(time: Date, providerRefundID: String?)
    case failed(code: String)
    case notFound
}

/// Why a provider call has no answer we can act on. The payment may or may not exist downstream,
/// so the intent stays PENDING and the same request id is used again.
/// The provider refused a call because of how the gateway is set up with it (keys, client id,
/// contract, a malformed request): not the shopper's doing, so the payment is not cancelled; the
/// operator must fix the set-up, after which the same ids are retried.
public struct ProviderIntegrationFault: Error, Sendable, Equatable, CustomStringConvertible {
    public let operation: String
    /// The provider's result code; never key material.
    public let code: String

    public init(operation: String, code: String) {
        self.operation = operation
        self.code = code
    }

    public var description: String { "provider refused \(operation) with \(code): the gateway's set-up is at fault" }

    /// AMS F codes that say the request or its signer is wrong, not the payment (seed 002's table
    /// and providers.md). Any other F code is a business rejection of the payment.
    public static let amsCodes: Set<String> = [
        "INVALID_SIGNATURE", "SIGNATURE_INVALID", "KEY_NOT_FOUND", "CLIENT_INVALID", "ACCESS_DENIED", "INVALID_CONTRACT",
        "PARAM_ILLEGAL", "API_INVALID", "METHOD_NOT_SUPPORTED", "MEDIA_TYPE_NOT_ACCEPTABLE", "INVALID_ACCESS_TOKEN",
        "PAYMENT_NOT_QUALIFIED", "REPEAT_REQ_INCONSISTENT",
    ]
}

public struct ProviderUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    /// True when the provider could not be reached or gave no usable answer (counts towards the
    /// circuit breaker); false when it answered "unknown" (U) itself.
    public let isTransportFailure: Bool

    public init(reason: String, isTransportFailure: Bool = true) {
        self.reason = reason
        self.isTransportFailure = isTransportFailure
    }
    public var description: String { "provider unavailable: \(reason)" }
}

/// A wallet provider connector.
public protocol PaymentProvider: Sendable {
    /// Starts (or, with the same order id, idempotently re-asks about) a payment.
    /// Throws `ProviderUnavailable` when the outcome is unknown.
    func startPayment(_ request: ProviderPaymentRequest) async throws -> ProviderPaymentStart
    /// Asks the provider about a payment.
    func inquirePayment(_ intent: PaymentIntent) async throws -> ProviderPaymentState
    /// Cancels an unpaid payment (or learns that it was paid).
    func cancelPayment(_ intent: PaymentIntent) async throws -> ProviderCancelResult
    /// Starts (or, with the same refund id, idempotently re-asks about) a refund.
    func startRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundStart
    func inquireRefund(_ request: ProviderRefundRequest) async throws -> ProviderRefundState
}

/// A freshly signed provider URL that opens a trade in the shopper's browser (the WAP gateway's
/// `create_forex_trade_wap`), and when the trade it opens closes.
public struct TradeLink: Sendable, Equatable {
    public let url: String
    public let closesAt: Date

    public init(url: String, closesAt: Date) {
        self.url = url
        self.closesAt = closesAt
    }
}

/// A provider whose payments the shopper's browser opens itself from a signed URL: the gateway signs
/// a fresh one each time the shopper follows the intent's link, never outliving the intent.
public protocol TradeLinkIssuer: Sendable {
    /// A URL whose trade closes no later than `intent.expiresAt`; nil when too little time remains
    /// for the shortest trade the provider can express.
    func tradeLink(for intent: PaymentIntent, now: Date) throws -> TradeLink?
}

/// What `RefundStore.insertRefund` found, decided atomically with the insert.
public enum RefundInsertOutcome: Sendable, Equatable {
    case inserted(Refund)
    /// A refund with the same merchant_refund_id already existed.
    case existing(Refund)
    /// The intent cannot be refunded in its status (`RefundAdmission.notRefundable`).
    case notRefundable(PaymentStatus)
    /// The refund would take the non-failed refunds over the intent's amount (`RefundAdmission.exceedsRefundable`).
    case exceedsRefundable(remainingMinorUnits: Int64)
}

public enum RefundTransitionOutcome: Sendable, Equatable {
    case applied(Refund, PaymentIntent, WebhookEvent?)
    case unchanged(Refund, RefundTransition)
    case notFound
}

/// A payment intent or refund due for a look at the provider, with how many looks it had.
public struct DueCheck<Item: Sendable & Equatable>: Sendable, Equatable {
    public let item: Item
    public let checks: Int

    public init(item: Item, checks: Int) {
        self.item = item
        self.checks = checks
    }
}

/// Persistence of refunds.
public protocol RefundStore: Sendable {
    /// In one transaction: refuses a second merchant_refund_id, and a refund that `RefundAdmission`
    /// does not admit (decided with the intent locked); else inserts.
    func insertRefund(_ refund: Refund) async throws -> RefundInsertOutcome
    func refund(refundID: String) async throws -> Refund?
    func refund(merchantUID: Int64, refundID: String) async throws -> Refund?
    func refund(merchantUID: Int64, merchantRefundID: String) async throws -> Refund?
    /// In one transaction: the refund's change, the intent's refunded amount when it succeeds, and
    /// the webhook it causes.
    func transitionRefund(
        refundID: String,
        decide: @Sendable (Refund) -> RefundTransition,
        makeEvent: @Sendable (Refund, PaymentIntent, WebhookEvent.Kind) -> WebhookEvent
    ) async throws -> RefundTransitionOutcome
}

/// The reconciliation schedule: when intents and refunds whose result is late are next checked at
/// the provider. A claimed check is leased to one node until it is rescheduled or the lease ends.
public protocol ReconciliationStore: Sendable {
    /// Leases PENDING intents whose next provider check is due (so other nodes skip them for
    /// `lease`), and CANCELLED ones still watched for a late payment; the most overdue first.
    func claimDueIntentChecks(now: Date, limit: Int, lease: Duration) async throws -> [DueCheck<PaymentIntent>]
    /// Sets the next check of a PENDING intent, or of a CANCELLED one still watched for a late payment.
    func scheduleIntentCheck(orderID: String, at: Date, checks: Int) async throws
    /// Ends the checks of a CANCELLED intent whose watch for a late payment is over.
    func stopIntentChecks(orderID: String) async throws
    /// Leases PROCESSING refunds whose next provider check is due; the most overdue first.
    func claimDueRefundChecks(now: Date, limit: Int, lease: Duration) async throws -> [DueCheck<Refund>]
    func scheduleRefundCheck(refundID: String, at: Date, checks: Int) async throws
}

/// Whether the database answers, for the readiness probe.
public protocol DatabaseProbe: Sendable {
    func ping() async throws
}
