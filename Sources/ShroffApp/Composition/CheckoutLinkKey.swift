import ShroffConnectors
import ShroffCore

extension WAPCheckoutLinks {
    /// The links signed with the gateway's checkout link key, made once and kept in the database so
    /// that every node, and every restart, accepts the links the others handed out.
    static func stored(in secrets: any SecretStore, baseURL: String) async throws -> WAPCheckoutLinks {
        let key = try await secrets.secret(named: "checkout-link-key-v1") {
            var generator = SystemRandomNumberGenerator()
            return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        return WAPCheckoutLinks(baseURL: baseURL, key: key)
    }
}
