/// The stable classes of merchant-facing errors (merchant-api.md, "Conventions").
public enum ErrorKind: String, Sendable, CaseIterable {
    case invalidRequest = "invalid_request"
    case invalidParameter = "invalid_parameter"
    case unauthorized
    case notFound = "not_found"
    case duplicateRequest = "duplicate_request"
    case invalidState = "invalid_state"
    case rejected
    case rateLimited = "rate_limited"
    case internalError = "internal_error"
    case providerUnavailable = "provider_unavailable"

    /// The numeric code of the envelope.
    public var code: Int {
        switch self {
        case .invalidRequest: 40000
        case .invalidParameter: 40001
        case .unauthorized: 40100
        case .notFound: 40400
        case .duplicateRequest: 40900
        case .invalidState: 40901
        case .rejected: 42200
        case .rateLimited: 42900
        case .internalError: 50000
        case .providerUnavailable: 50300
        }
    }

    /// The HTTP status that goes with the code.
    public var httpStatus: Int { code / 100 }
}

/// An error the merchant is meant to read. The message names the field and the rule and never
/// carries a secret or an internal detail.
public struct GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    public let kind: ErrorKind
    public let message: String
    /// The wallet provider's result code for a provider rejection (42200).
    public let providerCode: String?
    /// Seconds after which a retry makes sense (42900, 50300).
    public let retryAfterSeconds: Int?

    public init(_ kind: ErrorKind, _ message: String, providerCode: String? = nil, retryAfterSeconds: Int? = nil) {
        self.kind = kind
        self.message = message
        self.providerCode = providerCode
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(kind.rawValue): \(message)" }

    public static func invalidParameter(_ field: String, _ rule: String) -> GatewayError {
        GatewayError(.invalidParameter, "\(field): \(rule)")
    }
}
