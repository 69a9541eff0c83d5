/// A WAP partner (merchant account) the sandbox gateway accepts, with the keys it verifies requests by.
public struct SandboxWAPPartner: Sendable {
    /// The shared MD5 key (`sign_type=MD5` requests, and MD5 notifications to this partner).
    public var md5Key: String?
    /// The partner's RSA public key (PEM or base64 X.509) for `sign_type=RSA2` requests.
    public var rsaPublicKeyPEM: String?
    /// Shown on the wallet page as the merchant; the partner id when nil.
    public var displayName: String?

    public init(md5Key: String? = nil, rsaPublicKeyPEM: String? = nil, displayName: String? = nil) {
        self.md5Key = md5Key
        self.rsaPublicKeyPEM = rsaPublicKeyPEM
        self.displayName = displayName
    }
}

/// How the emulated Alipay Global WAP gateway is set up.
public struct SandboxWAPConfiguration: Sendable {
    /// Where shoppers' browsers reach the sandbox (the wallet page posts back there).
    public var publicBaseURL: String
    /// Partners by partner id (16 digits, `2088…`).
    public var partners: [String: SandboxWAPPartner]
    /// The provider's own key: it signs RSA2 notifications and return parameters.
    public var providerPrivateKeyPEM: String
    /// Delays before each notification attempt, each counted from the previous attempt.
    public var notificationSchedule: [Duration]

    /// providers.md §2, "8 times within 25 h": 0 s, then 4 min, 10 min, 10 min, 1 h, 2 h, 6 h, 15 h
    /// (the last attempt 24 h 24 min after the first).
    public static let providerSchedule: [Duration] = [
        .zero, .seconds(240), .seconds(600), .seconds(600), .seconds(3600), .seconds(7200), .seconds(21_600), .seconds(54_000),
    ]

    public init(
        publicBaseURL: String, partners: [String: SandboxWAPPartner], providerPrivateKeyPEM: String,
        notificationSchedule: [Duration] = SandboxWAPConfiguration.providerSchedule
    ) {
        self.publicBaseURL = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
        self.partners = partners
        self.providerPrivateKeyPEM = providerPrivateKeyPEM
        self.notificationSchedule = notificationSchedule
    }
}
