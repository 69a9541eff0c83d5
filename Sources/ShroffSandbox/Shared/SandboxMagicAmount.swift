/// Magic amounts, chosen by the last two digits of the amount in minor units (so `10.51` HKD and
/// `1051` KRW alike). Documented in the README.
public enum MagicAmount: Sendable, Equatable {
    case none
    /// `…51`: the shopper's payment is declined with USER_BALANCE_NOT_ENOUGH.
    case declined
    /// `…52`: every pay call answers U / UNKNOWN_EXCEPTION and creates nothing.
    case unknownResult
    /// `…53`: the payment succeeds but no notification is ever sent.
    case silentSuccess
    /// `…54`: the pay call is rejected at once with F / RISK_REJECT.
    case riskRejected
    /// `…55`: a cashier payment's redirect is a POST form with parameters.
    case postRedirect
    /// `…56`: an order code is offered as a barcode only, with a display hint.
    case barcodeOnly

    public init(minorUnits: Int64) {
        switch minorUnits % 100 {
        case 51: self = .declined
        case 52: self = .unknownResult
        case 53: self = .silentSuccess
        case 54: self = .riskRejected
        case 55: self = .postRedirect
        case 56: self = .barcodeOnly
        default: self = .none
        }
    }
}
