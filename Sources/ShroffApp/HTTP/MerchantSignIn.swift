import Logging
import ShroffCore

/// The check of a merchant's client id and API key, shared by the API's login and the dashboard's
/// sign-in form: one throttle of failures per address, a constant-time comparison of the key's hash,
/// the same answer for an unknown client id and a wrong key, and disabled merchants refused.
struct MerchantSignIn: Sendable {
    let merchants: any MerchantStore
    let throttle: LoginThrottle

    /// The merchant these credentials open. `field` names the credential in messages (the header
    /// for the API, the form field for the dashboard).
    func verify(clientID: String, apiKey: String, address: String, apiKeyField: String, logger: Logger) async throws -> Merchant {
        try await throttle.check(clientID: clientID, address: address)
        let presentedHash = MerchantFactory.hashAPIKey(apiKey)
        let merchant = try await merchants.merchant(clientID: clientID)
        // Unknown client ids are compared against a dummy hash so both failures take the same time.
        let storedHash = merchant?.apiKeyHash ?? String(repeating: "0", count: 64)
        guard let merchant, ConstantTime.equal(Array(presentedHash.utf8), Array(storedHash.utf8)) else {
            await throttle.recordFailure(clientID: clientID, address: address)
            logger.info("login refused", metadata: ["client_id": "\(clientID.prefix(64))", "peer": "\(address)"])
            throw GatewayError(.unauthorized, "\(apiKeyField): wrong client id or api key")
        }
        guard !merchant.isDisabled else {
            logger.info("login refused: merchant disabled", metadata: ["merchant_uid": "\(merchant.uid)"])
            throw GatewayError(.unauthorized, "\(apiKeyField): this merchant is disabled; ask the operator")
        }
        return merchant
    }
}
