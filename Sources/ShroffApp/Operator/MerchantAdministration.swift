import Foundation
import Logging
import ShroffCore

/// The operator's merchant commands (`shroff merchants create`).
public enum MerchantAdministration {
    /// Creates a merchant in the configured database (also while the server runs) and returns its
    /// credentials, which exist in clear only in this answer.
    public static func create(
        name: String, h5Domain: String?, settlementCurrency: String? = nil,
        configuration: GatewayConfiguration, logger: Logger
    ) async throws -> MerchantCredentials {
        try await DatabaseConnection.with(configuration: configuration, logger: logger) { database in
            try await create(name: name, h5Domain: h5Domain, settlementCurrency: settlementCurrency, in: database.store)
        }
    }

    static func create(
        name: String, h5Domain: String?, settlementCurrency: String? = nil, in store: any MerchantStore
    ) async throws -> MerchantCredentials {
        let settlementCurrency = settlementCurrency ?? Merchant.standardSettlementCurrency
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 128 else {
            throw ConfigurationError(description: "--name: 1 to 128 characters")
        }
        if let h5Domain, !isDomain(h5Domain) {
            throw ConfigurationError(description: "--h5-domain: expected a host name such as shop.example.com")
        }
        guard Currency(code: settlementCurrency) != nil else {
            throw ConfigurationError(description: "--settlement-currency: expected an ISO 4217 code such as HKD")
        }
        let (merchant, apiKey) = MerchantFactory.make(
            name: trimmed, h5Domain: h5Domain, settlementCurrency: settlementCurrency, now: Date()
        )
        let saved = try await store.createMerchant(merchant)
        return MerchantCredentials(clientID: saved.clientID, apiKey: apiKey, webhookSecret: saved.webhookSecret, uid: saved.uid)
    }

    /// With the embedded sandbox, a first start creates a merchant to try the API with, and prints its
    /// credentials once on the console, never in the logs (the api key is stored only as a hash).
    static func createDemoMerchantIfNone(in store: any MerchantStore) async throws {
        guard try await store.merchantCount() == 0 else { return }
        let credentials = try await create(name: "Demo shop", h5Domain: "localhost", in: store)
        Console.write("""
            Created a demo merchant for the sandbox (shown only this once):
            \(try json(credentials))
            """)
    }

    /// The credentials as the one JSON object the command prints.
    public static func json(_ credentials: MerchantCredentials) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(credentials), as: UTF8.self)
    }

    static func isDomain(_ text: String) -> Bool {
        let labels = text.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        return text.count <= 253 && !labels.isEmpty && labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
