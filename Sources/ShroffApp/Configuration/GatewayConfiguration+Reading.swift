import Configuration
import Foundation
import ShroffCore
import ShroffSandbox

extension GatewayConfiguration {
    /// Reads the gateway's settings (the README's configuration table), each once, from `reader`:
    /// `shroff` gives it the command line's overrides and the environment, the tests an environment
    /// of their own. An error names the variable, never a secret's value.
    public init(reading reader: ConfigReader) throws {
        let settings = SettingsReader(reader: reader)
        let port = try settings.integer(.port, in: 1...65_535) ?? 8080
        let dataDirectory = settings.text(.dataDirectory) ?? "data"
        let timestamps = try Self.timestamps(settings)
        let wapSignType = try Self.wapSignType(settings)
        self.init(
            host: settings.text(.host) ?? "127.0.0.1", port: Int(port), dataDirectory: dataDirectory,
            databaseURL: settings.text(.databaseURL), publicBaseURL: settings.text(.publicURL),
            provider: try Self.provider(settings, wapSignType: wapSignType), timestamps: timestamps,
            defaultExpirySeconds: try settings.integer(.intentExpirySeconds, in: 60...86_400) ?? 1800
        )
        allowPrivateWebhookTargets = try settings.flag(.webhookAllowPrivateTargets)
        if let token = settings.text(.operatorToken) {
            guard token.utf8.count >= 16 else {
                throw ConfigurationError(description: "\(GatewaySetting.operatorToken.variable): must be at least 16 characters")
            }
            operatorToken = token
        }
        if let timeout = try settings.integer(.webhookTimeoutSeconds, in: 1...60) { webhookTimeoutSeconds = timeout }
        if let rate = try settings.integer(.rateLimitPerSecond, in: 1...1_000_000) {
            rateLimitPerSecond = Double(rate)
            rateLimitBurst = Double(rate * 2)
        }
        settlementFolder = settings.text(.settlementFolder)
        if let zone = settings.text(.settlementTimeZone) {
            guard let parsed = TimestampFormat(offset: zone) else {
                throw ConfigurationError(description: "\(GatewaySetting.settlementTimeZone.variable): expected a UTC offset such as +08:00 or Z")
            }
            settlementUTCOffsetSeconds = parsed.utcOffsetSeconds
        }
        if let seconds = try settings.integer(.settlementImportIntervalSeconds, in: 1...86_400) {
            settlementImportInterval = .seconds(seconds)
        }
        _ = try databaseLocation()
    }

    private static func timestamps(_ settings: SettingsReader) throws -> TimestampFormat {
        guard let zone = settings.text(.timeZone) else { return TimestampFormat(utcOffsetSeconds: 8 * 3600) }
        guard let parsed = TimestampFormat(offset: zone) else {
            throw ConfigurationError(description: "\(GatewaySetting.timeZone.variable): expected a UTC offset such as +08:00 or Z")
        }
        return parsed
    }

    /// The sign type of the WAP gateway the gateway talks to: the remote one when
    /// `SHROFF_WAP_GATEWAY_URL` names it, else the built-in sandbox's. Refused when bad either way.
    private static func wapSignType(_ settings: SettingsReader) throws -> WAPSignTypeName {
        guard let signType = WAPSignTypeName(rawValue: (settings.text(.wapSignType) ?? "RSA2").uppercased()) else {
            throw ConfigurationError(description: "\(GatewaySetting.wapSignType.variable): expected MD5 or RSA2")
        }
        return signType
    }

    /// The built-in sandbox, unless `SHROFF_AMS_BASE_URL` names a provider elsewhere.
    private static func provider(_ settings: SettingsReader, wapSignType: WAPSignTypeName) throws -> Provider {
        guard let baseURL = settings.text(.amsBaseURL) else {
            return .embeddedSandbox(notificationSchedule: SandboxConfiguration.providerSchedule, wapSignType: wapSignType)
        }
        let required: [GatewaySetting] = [.amsClientID, .amsMerchantPrivateKey, .amsProviderPublicKey]
        let values = required.map(settings.text)
        guard let clientID = values[0], let privateKey = values[1], let publicKey = values[2] else {
            let missing = zip(required, values).filter { $0.1 == nil }.map(\.0.variable)
            throw ConfigurationError(
                description: "\(GatewaySetting.amsBaseURL.variable) is set, so \(missing.joined(separator: ", ")) must be set too"
            )
        }
        guard let url = URL(string: baseURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw ConfigurationError(description: "\(GatewaySetting.amsBaseURL.variable): expected an http(s) URL")
        }
        return .remote(RemoteProvider(
            baseURL: baseURL, clientID: clientID, merchantPrivateKey: privateKey, providerPublicKey: publicKey,
            wap: try remoteWAP(settings, signType: wapSignType)
        ))
    }

    /// The WAP gateway beside a remote AMS provider, when `SHROFF_WAP_GATEWAY_URL` names one.
    private static func remoteWAP(_ settings: SettingsReader, signType: WAPSignTypeName) throws -> RemoteWAP? {
        guard let gatewayURL = settings.text(.wapGatewayURL) else { return nil }
        guard let partner = settings.text(.wapPartner) else {
            throw ConfigurationError(
                description: "\(GatewaySetting.wapGatewayURL.variable) is set, so \(GatewaySetting.wapPartner.variable) must be set too"
            )
        }
        return RemoteWAP(
            gatewayURL: gatewayURL, partner: partner, signType: signType, md5Key: settings.text(.wapMD5Key),
            merchantPrivateKey: settings.text(.wapPrivateKey), providerPublicKey: settings.text(.wapProviderPublicKey)
        )
    }
}
