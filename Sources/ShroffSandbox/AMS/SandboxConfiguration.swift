/// How the emulated provider is set up.
public struct SandboxConfiguration: Sendable {
    /// Where shoppers' browsers reach the sandbox (hosted pages, QR codes), e.g. `http://127.0.0.1:8080`.
    public var publicBaseURL: String
    public var providerPrivateKeyPEM: String
    /// AMS clients allowed to call, by client id, with their public keys (PEM or base64 X.509).
    public var clients: [String: String]
    /// Delays before each notification attempt; the provider's real schedule unless a test shortens it.
    public var notificationSchedule: [Duration]
    /// The daily settlement files; off (no folder) unless set.
    public var settlement: SandboxSettlementConfiguration

    /// providers.md §1: 0 s, 2 min, 10 min, 10 min, 1 h, 2 h, 6 h, 15 h.
    public static let providerSchedule: [Duration] = [
        .zero, .seconds(120), .seconds(600), .seconds(600), .seconds(3600), .seconds(7200), .seconds(21_600), .seconds(54_000),
    ]

    public init(
        publicBaseURL: String, providerPrivateKeyPEM: String, clients: [String: String],
        notificationSchedule: [Duration] = SandboxConfiguration.providerSchedule,
        settlement: SandboxSettlementConfiguration = SandboxSettlementConfiguration()
    ) {
        self.publicBaseURL = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
        self.providerPrivateKeyPEM = providerPrivateKeyPEM
        self.clients = clients
        self.notificationSchedule = notificationSchedule
        self.settlement = settlement
    }
}
