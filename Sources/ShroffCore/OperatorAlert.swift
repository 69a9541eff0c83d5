/// Something the gateway cannot settle by itself and an operator must look at. Each is logged as
/// an error or warning where it happens and reported to `PaymentService.alert` as a `RaisedAlert`
/// with the payment it concerns (the app counts them in its metrics, so they can page someone, and
/// stores them for the operator console). The raw values are stable: metrics and stored rows use them.
public enum OperatorAlert: String, Sendable, CaseIterable {
    /// The provider contradicts a final payment state (paid after the gateway recorded a cancel).
    case paymentConflict = "payment_conflict"
    /// The provider contradicts a final refund state.
    case refundConflict = "refund_conflict"
    /// A shopper paid after the intent's expiry: recorded as SUCCEEDED (money taken is never
    /// ignored), but the merchant may have given up on the order.
    case paidAfterExpiry = "paid_after_expiry"
    /// The provider refused a call because of the gateway's own set-up (keys, client id, contract):
    /// payments cannot start until an operator fixes it.
    case providerIntegrationFault = "provider_integration_fault"
    /// Money landed on a CANCELLED (or expired) intent: the intent stays CANCELLED and the payment
    /// is refunded automatically; the operator checks that the refund completes.
    case paidAfterCancel = "paid_after_cancel"
    /// The provider's settlement file disagrees with what the gateway recorded for a payment or
    /// refund (amount, currency, or a transaction one side does not know): raised by settlement
    /// reconciliation.
    case settlementDiscrepancy = "settlement_discrepancy"
}
