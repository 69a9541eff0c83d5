import Crypto
import Foundation
import Hummingbird
import ShroffCore
import ShroffDashboard
import ShroffObservability

extension AppRequestContext: ConsoleRequestContext {
    public var consolePeerAddress: String { peerAddress }
    public var consoleRequestID: String { requestID }
}

/// The merchant dashboard and the operator console, wired to the gateway's stores, payment service
/// and sign-in checks (the dashboard's form shares the API login's throttle).
struct ConsoleRoutes {
    let configuration: GatewayConfiguration
    let store: any DatabaseConnection.Stores
    let payments: PaymentService
    let signIn: MerchantSignIn
    let metrics: GatewayMetrics
    /// This node's id in the provider health table.
    let nodeID: String
    /// The embedded sandbox's address, when there is one.
    let sandboxBaseURL: String?

    func register(on router: Router<AppRequestContext>) {
        let signIn = self.signIn
        var dashboard = MerchantDashboard<AppRequestContext>(
            merchants: store, intents: store, webhooks: store, console: store, activity: store, requestLog: store, payments: payments,
            checkCredentials: { clientID, apiKey, address, field, logger in
                try await signIn.verify(clientID: clientID, apiKey: apiKey, address: address, apiKeyField: field, logger: logger)
            },
            timestamps: configuration.timestamps, sandboxBaseURL: sandboxBaseURL
        )
        dashboard.settlements = store
        dashboard.register(on: router)
        let metrics = self.metrics
        var operatorConsole = OperatorConsole<AppRequestContext>(
            merchants: store, console: store, activity: store, intents: store, alerts: store, nodes: store, nodeID: nodeID,
            checkToken: configuration.operatorToken.map(Self.operatorTokenCheck), metricsText: { metrics.exposition() },
            timestamps: configuration.timestamps
        )
        operatorConsole.settlements = store
        operatorConsole.register(on: router)
    }

    /// Compares the hashes of the presented and the configured token in constant time (equal
    /// lengths whatever was sent), after the same throttle of failures per address as logins.
    static func operatorTokenCheck(_ expected: String) -> OperatorTokenCheck {
        let throttle = LoginThrottle()
        let expectedHash = Array(SHA256.hash(data: Data(expected.utf8)))
        return { token, address, logger in
            try await throttle.check(clientID: "operator", address: address)
            guard ConstantTime.equal(Array(SHA256.hash(data: Data(token.utf8))), expectedHash) else {
                await throttle.recordFailure(clientID: "operator", address: address)
                logger.info("operator sign-in refused", metadata: ["peer": "\(address)"])
                throw GatewayError(.unauthorized, "operator_token: wrong operator token")
            }
        }
    }
}
