import Configuration
import Foundation

/// Every environment variable the gateway reads (the README's "Configuration" table), as a
/// swift-configuration key: the environment-variables provider looks `shroff.wap.sign_type` up as
/// `SHROFF_WAP_SIGN_TYPE`. `GatewayConfiguration(reading:)` and `LogSettings(reading:)` read each
/// one once, and everything else gets typed values from them.
public enum GatewaySetting: String, CaseIterable, Sendable {
    case port = "shroff.port"
    case host = "shroff.host"
    case dataDirectory = "shroff.data_dir"
    case databaseURL = "shroff.database_url"
    case publicURL = "shroff.public_url"
    case amsBaseURL = "shroff.ams.base_url"
    case amsClientID = "shroff.ams.client_id"
    case amsMerchantPrivateKey = "shroff.ams.merchant_private_key"
    case amsProviderPublicKey = "shroff.ams.provider_public_key"
    case wapGatewayURL = "shroff.wap.gateway_url"
    case wapPartner = "shroff.wap.partner"
    case wapSignType = "shroff.wap.sign_type"
    case wapMD5Key = "shroff.wap.md5_key"
    case wapPrivateKey = "shroff.wap.private_key"
    case wapProviderPublicKey = "shroff.wap.provider_public_key"
    case timeZone = "shroff.time_zone"
    case intentExpirySeconds = "shroff.intent_expiry_seconds"
    case webhookAllowPrivateTargets = "shroff.webhook.allow_private_targets"
    case webhookTimeoutSeconds = "shroff.webhook.timeout_seconds"
    case rateLimitPerSecond = "shroff.rate_limit_per_second"
    case logLevel = "shroff.log.level"
    case logFormat = "shroff.log.format"
    case operatorToken = "shroff.operator_token"
    case settlementFolder = "shroff.settlement.folder"
    case settlementTimeZone = "shroff.settlement.time_zone"
    case settlementImportIntervalSeconds = "shroff.settlement.import_interval_seconds"

    public var key: ConfigKey { ConfigKey(rawValue) }

    /// The environment variable, as messages name it.
    public var variable: String { rawValue.uppercased().replacingOccurrences(of: ".", with: "_") }

    /// Keys, and the database URL (it may hold a password): swift-configuration's access reporting
    /// shows them redacted.
    var isSecret: Bool {
        switch self {
        case .databaseURL, .amsMerchantPrivateKey, .wapMD5Key, .wapPrivateKey, .operatorToken: true
        default: false
        }
    }
}

/// Reads `GatewaySetting`s as the gateway always has: a value that is empty or only spaces counts
/// as unset, and a value that cannot be used is refused naming its variable, never echoing the value.
///
/// Values are read as strings and converted here rather than with swift-configuration's typed
/// getters: those return the default for a bad value (or throw their own message), while a bad
/// setting must stop the gateway with a message that names the variable and the expected form.
struct SettingsReader {
    let reader: ConfigReader

    /// The value exactly as given, even when empty.
    func raw(_ setting: GatewaySetting) -> String? {
        reader.string(forKey: setting.key, isSecret: setting.isSecret)
    }

    /// The value, or nil when it is unset, empty or only spaces.
    func text(_ setting: GatewaySetting) -> String? {
        raw(setting).flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
    }

    func integer(_ setting: GatewaySetting, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let text = text(setting) else { return nil }
        guard let number = Int64(text), range.contains(number) else {
            throw ConfigurationError(description: "\(setting.variable): expected an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    /// `true`, `1` or `yes`; `false`, `0` or `no`; in any case.
    func flag(_ setting: GatewaySetting) throws -> Bool? {
        guard let text = text(setting) else { return nil }
        guard let flag = ["true": true, "1": true, "yes": true, "false": false, "0": false, "no": false][text.lowercased()] else {
            throw ConfigurationError(description: "\(setting.variable): expected true or false")
        }
        return flag
    }
}
