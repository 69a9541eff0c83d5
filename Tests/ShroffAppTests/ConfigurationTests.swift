import Configuration
import Foundation
import Logging
import ShroffSandbox
import Synchronization
import Testing

@testable import ShroffApp

/// The gateway's settings from `environment` alone, as `shroff` reads the process's environment.
func readConfiguration(_ environment: [String: String]) throws -> GatewayConfiguration {
    try GatewayConfiguration(reading: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment)))
}

@Suite("Configuration from the environment")
struct ConfigurationTests {
    /// Everything a remote provider with a WAP gateway needs, with secrets that must never show.
    static let remote = [
        "SHROFF_AMS_BASE_URL": "https://ams.example.com", "SHROFF_AMS_CLIENT_ID": "CLIENT",
        "SHROFF_AMS_MERCHANT_PRIVATE_KEY": "SECRET-AMS-KEY", "SHROFF_AMS_PROVIDER_PUBLIC_KEY": "AMS-PUBLIC",
        "SHROFF_WAP_GATEWAY_URL": "https://wap.example.com/gateway.do", "SHROFF_WAP_PARTNER": "2088000000000001",
        "SHROFF_WAP_MD5_KEY": "SECRET-MD5", "SHROFF_WAP_PRIVATE_KEY": "SECRET-WAP-KEY", "SHROFF_WAP_PROVIDER_PUBLIC_KEY": "WAP-PUBLIC",
    ]

    @Test func defaults() throws {
        let configuration = try readConfiguration([:])
        #expect(configuration.port == 8080)
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.dataDirectory == "data")
        #expect(configuration.databaseURL == "sqlite:data/shroff.sqlite")
        #expect(configuration.publicBaseURL == "http://127.0.0.1:8080")
        #expect(configuration.timestamps.utcOffsetSeconds == 8 * 3600)
        #expect(configuration.defaultExpirySeconds == 1800)
        #expect(configuration.rateLimitPerSecond == 50 && configuration.rateLimitBurst == 100)
        #expect(configuration.webhookTimeoutSeconds == 15)
        #expect(configuration.allowPrivateWebhookTargets == nil && configuration.webhooksMayTargetPrivateAddresses)
        #expect(configuration.createDemoMerchant)
        guard case .embeddedSandbox(let schedule, let signType) = configuration.provider else {
            Issue.record("the default provider is the embedded sandbox")
            return
        }
        #expect(schedule == SandboxConfiguration.providerSchedule)
        #expect(signType == .rsa2)
    }

    @Test func overrides() throws {
        let configuration = try readConfiguration([
            "SHROFF_PORT": "9000", "SHROFF_HOST": "0.0.0.0", "SHROFF_DATA_DIR": "/tmp/x", "SHROFF_TIME_ZONE": "Z",
            "SHROFF_PUBLIC_URL": "https://pay.example.com", "SHROFF_INTENT_EXPIRY_SECONDS": "600",
            "SHROFF_WEBHOOK_ALLOW_PRIVATE_TARGETS": "No", "SHROFF_WEBHOOK_TIMEOUT_SECONDS": "30",
            "SHROFF_RATE_LIMIT_PER_SECOND": "7",
        ])
        #expect(configuration.port == 9000)
        #expect(configuration.host == "0.0.0.0" && configuration.loopbackHost == "127.0.0.1")
        #expect(try configuration.sqlitePath() == "/tmp/x/shroff.sqlite")
        #expect(configuration.timestamps.utcOffsetSeconds == 0)
        #expect(configuration.publicBaseURL == "https://pay.example.com")
        #expect(configuration.defaultExpirySeconds == 600)
        #expect(configuration.allowPrivateWebhookTargets == false && !configuration.webhooksMayTargetPrivateAddresses)
        #expect(configuration.webhookTimeoutSeconds == 30)
        #expect(configuration.rateLimitPerSecond == 7 && configuration.rateLimitBurst == 14)
    }

    @Test("an empty value, or one of spaces, counts as unset")
    func blankValuesAreUnset() throws {
        let configuration = try readConfiguration([
            "SHROFF_PORT": "", "SHROFF_DATA_DIR": "   ", "SHROFF_TIME_ZONE": " ", "SHROFF_AMS_BASE_URL": "",
            "SHROFF_WAP_SIGN_TYPE": "  ", "SHROFF_DATABASE_URL": "",
        ])
        #expect(configuration.port == 8080 && configuration.databaseURL == "sqlite:data/shroff.sqlite")
        #expect(configuration.timestamps.utcOffsetSeconds == 8 * 3600)
        guard case .embeddedSandbox(_, .rsa2) = configuration.provider else {
            Issue.record("blank provider settings select the embedded sandbox with RSA2")
            return
        }
    }

    @Test("the flag's spellings", arguments: [
        ("true", true), ("1", true), ("YES", true), ("False", false), ("0", false), ("no", false),
    ])
    func flags(text: String, value: Bool) throws {
        #expect(try readConfiguration(["SHROFF_WEBHOOK_ALLOW_PRIVATE_TARGETS": text]).allowPrivateWebhookTargets == value)
    }

    @Test("a bad value is refused, naming the variable and what it expects", arguments: [
        (["SHROFF_PORT": "eighty"], "SHROFF_PORT: expected an integer in 1...65535"),
        (["SHROFF_PORT": "70000"], "SHROFF_PORT: expected an integer in 1...65535"),
        (["SHROFF_PORT": " 8080"], "SHROFF_PORT: expected an integer in 1...65535"),
        (["SHROFF_TIME_ZONE": "Hong Kong"], "SHROFF_TIME_ZONE: expected a UTC offset such as +08:00 or Z"),
        (["SHROFF_INTENT_EXPIRY_SECONDS": "5"], "SHROFF_INTENT_EXPIRY_SECONDS: expected an integer in 60...86400"),
        (["SHROFF_WEBHOOK_ALLOW_PRIVATE_TARGETS": "maybe"], "SHROFF_WEBHOOK_ALLOW_PRIVATE_TARGETS: expected true or false"),
        (["SHROFF_WEBHOOK_TIMEOUT_SECONDS": "61"], "SHROFF_WEBHOOK_TIMEOUT_SECONDS: expected an integer in 1...60"),
        (["SHROFF_RATE_LIMIT_PER_SECOND": "0"], "SHROFF_RATE_LIMIT_PER_SECOND: expected an integer in 1...1000000"),
        (["SHROFF_WAP_SIGN_TYPE": "SHA1"], "SHROFF_WAP_SIGN_TYPE: expected MD5 or RSA2"),
        (remote.merging(["SHROFF_WAP_SIGN_TYPE": "SHA1"]) { $1 }, "SHROFF_WAP_SIGN_TYPE: expected MD5 or RSA2"),
        (
            remote.filter { !$0.key.hasPrefix("SHROFF_WAP") }.merging(["SHROFF_WAP_SIGN_TYPE": "SHA1"]) { $1 },
            "SHROFF_WAP_SIGN_TYPE: expected MD5 or RSA2"
        ),
        (
            ["SHROFF_DATABASE_URL": "mysql://x"],
            "SHROFF_DATABASE_URL: expected sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE"
        ),
        (
            ["SHROFF_AMS_BASE_URL": "https://ams.example.com"],
            "SHROFF_AMS_BASE_URL is set, so SHROFF_AMS_CLIENT_ID, SHROFF_AMS_MERCHANT_PRIVATE_KEY, SHROFF_AMS_PROVIDER_PUBLIC_KEY must be set too"
        ),
        (
            remote.filter { $0.key != "SHROFF_AMS_PROVIDER_PUBLIC_KEY" },
            "SHROFF_AMS_BASE_URL is set, so SHROFF_AMS_PROVIDER_PUBLIC_KEY must be set too"
        ),
        (remote.merging(["SHROFF_AMS_BASE_URL": "ftp://ams.example.com"]) { $1 }, "SHROFF_AMS_BASE_URL: expected an http(s) URL"),
        (
            remote.filter { $0.key != "SHROFF_WAP_PARTNER" },
            "SHROFF_WAP_GATEWAY_URL is set, so SHROFF_WAP_PARTNER must be set too"
        ),
    ])
    func badValue(environment: [String: String], message: String) {
        do {
            _ = try readConfiguration(environment)
            Issue.record("accepted \(environment)")
        } catch let error as ConfigurationError {
            #expect(error.description == message)
            #expect(!error.description.contains("SECRET"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("without SHROFF_AMS_BASE_URL the gateway talks to the built-in sandbox, with SHROFF_WAP_SIGN_TYPE's sign type")
    func embeddedSandbox() throws {
        // The remote WAP gateway's settings mean nothing without a remote provider.
        var environment = Self.remote.filter { !$0.key.hasPrefix("SHROFF_AMS") }
        environment["SHROFF_WAP_SIGN_TYPE"] = "md5"
        guard case .embeddedSandbox(_, let signType) = try readConfiguration(environment).provider else {
            Issue.record("expected the embedded sandbox")
            return
        }
        #expect(signType == .md5)
    }

    @Test("SHROFF_AMS_BASE_URL selects a remote provider; SHROFF_WAP_GATEWAY_URL adds its WAP gateway")
    func remoteProvider() throws {
        guard case .remote(let remote) = try readConfiguration(Self.remote.merging(["SHROFF_WAP_SIGN_TYPE": "MD5"]) { $1 }).provider else {
            Issue.record("expected a remote provider")
            return
        }
        #expect(remote.baseURL == "https://ams.example.com" && remote.clientID == "CLIENT")
        #expect(remote.merchantPrivateKey == "SECRET-AMS-KEY" && remote.providerPublicKey == "AMS-PUBLIC")
        let wap = try #require(remote.wap)
        #expect(wap.gatewayURL == "https://wap.example.com/gateway.do" && wap.partner == "2088000000000001")
        #expect(wap.signType == .md5 && wap.md5Key == "SECRET-MD5")
        #expect(wap.merchantPrivateKey == "SECRET-WAP-KEY" && wap.providerPublicKey == "WAP-PUBLIC")
        #expect(try readConfiguration(Self.remote).webhooksMayTargetPrivateAddresses == false)

        guard case .remote(let withoutWAP) = try readConfiguration(Self.remote.filter { !$0.key.hasPrefix("SHROFF_WAP") }).provider else {
            Issue.record("expected a remote provider")
            return
        }
        #expect(withoutWAP.wap == nil)
        guard case .remote(let defaultSignType) = try readConfiguration(Self.remote).provider else { return }
        #expect(defaultSignType.wap?.signType == .rsa2)
    }

    @Test("each variable is read once, and each key is the variable the README names")
    func eachVariableReadOnce() throws {
        let full = Self.remote.merging([
            "SHROFF_PORT": "9000", "SHROFF_HOST": "0.0.0.0", "SHROFF_DATA_DIR": "/tmp/x", "SHROFF_DATABASE_URL": "sqlite:/tmp/x.db",
            "SHROFF_PUBLIC_URL": "https://pay.example.com", "SHROFF_WAP_SIGN_TYPE": "MD5", "SHROFF_TIME_ZONE": "Z",
            "SHROFF_INTENT_EXPIRY_SECONDS": "600", "SHROFF_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
            "SHROFF_WEBHOOK_TIMEOUT_SECONDS": "30", "SHROFF_RATE_LIMIT_PER_SECOND": "7", "SHROFF_LOG_LEVEL": "debug",
            "SHROFF_LOG_FORMAT": "json", "SHROFF_OPERATOR_TOKEN": "operator-token-0123456789",
            "SHROFF_SETTLEMENT_FOLDER": "/srv/sftp", "SHROFF_SETTLEMENT_TIME_ZONE": "+08:00", "SHROFF_SETTLEMENT_IMPORT_INTERVAL_SECONDS": "60",
        ]) { $1 }
        #expect(Set(full.keys) == Set(GatewaySetting.allCases.map(\.variable)))
        for environment in [full, [:]] {
            let reads = KeyCounter()
            let reader = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment), accessReporter: reads)
            _ = LogSettings(reading: reader)
            _ = try GatewayConfiguration(reading: reader)
            let counts = reads.counts
            #expect(counts.values.allSatisfy { $0 == 1 }, "read more than once: \(counts.filter { $0.value > 1 })")
            if !environment.isEmpty { #expect(Set(counts.keys) == Set(GatewaySetting.allCases.map(\.rawValue))) }
        }
        for setting in GatewaySetting.allCases {
            let reader = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: [setting.variable: "x"]))
            #expect(reader.string(forKey: setting.key) == "x", "\(setting) is not read from \(setting.variable)")
        }
    }

    @Test("settlement: the folder defaults to <data dir>/settlements, the zone to UTC+8, the interval to 5 minutes; bad values name the variable")
    func settlementSettings() throws {
        let defaults = try readConfiguration(["SHROFF_DATA_DIR": "/var/shroff"])
        #expect(defaults.settlementFolderPath == "/var/shroff/settlements")
        #expect(defaults.settlementUTCOffsetSeconds == 8 * 3600 && defaults.settlementImportInterval == .seconds(300))
        let set = try readConfiguration([
            "SHROFF_SETTLEMENT_FOLDER": "/srv/sftp", "SHROFF_SETTLEMENT_TIME_ZONE": "Z", "SHROFF_SETTLEMENT_IMPORT_INTERVAL_SECONDS": "60",
        ])
        #expect(set.settlementFolderPath == "/srv/sftp" && set.settlementUTCOffsetSeconds == 0 && set.settlementImportInterval == .seconds(60))
        for (variable, value) in [("SHROFF_SETTLEMENT_TIME_ZONE", "Mars"), ("SHROFF_SETTLEMENT_IMPORT_INTERVAL_SECONDS", "0")] {
            #expect {
                _ = try readConfiguration([variable: value])
            } throws: { ($0 as? ConfigurationError)?.description.contains(variable) == true }
        }
    }

    @Test("the operator token: unset keeps the console closed, a short one is refused naming the variable")
    func operatorToken() throws {
        #expect(try readConfiguration([:]).operatorToken == nil)
        #expect(try readConfiguration(["SHROFF_OPERATOR_TOKEN": "operator-token-0123456789"]).operatorToken == "operator-token-0123456789")
        do {
            _ = try readConfiguration(["SHROFF_OPERATOR_TOKEN": "short"])
            Issue.record("a short operator token was accepted")
        } catch let error as ConfigurationError {
            #expect(error.description.contains("SHROFF_OPERATOR_TOKEN") && !error.description.contains("short"))
        }
    }

    @Test("a provider listed first (the command line's --port) overrides the environment")
    func commandLineOverride() throws {
        func reader(port: String) -> ConfigReader {
            ConfigReader(providers: [
                InMemoryProvider(values: [AbsoluteConfigKey(GatewaySetting.port.key): ConfigValue(.string(port), isSecret: false)]),
                EnvironmentVariablesProvider(environmentVariables: ["SHROFF_PORT": "9000"]),
            ])
        }
        #expect(try GatewayConfiguration(reading: reader(port: "9100")).port == 9100)
        #expect(throws: ConfigurationError.self) { try GatewayConfiguration(reading: reader(port: "0")) }
    }

    @Test("log level and format", arguments: [
        ([String: String](), LogSettings.Format.text, Logger.Level.info, String?.none),
        (["SHROFF_LOG_LEVEL": "debug", "SHROFF_LOG_FORMAT": "json"], .json, .debug, nil),
        (["SHROFF_LOG_LEVEL": "verbose", "SHROFF_LOG_FORMAT": "xml"], .text, .info, "xml"),
        (["SHROFF_LOG_LEVEL": "DEBUG", "SHROFF_LOG_FORMAT": ""], .text, .info, ""),
    ])
    func logSettings(environment: [String: String], format: LogSettings.Format, level: Logger.Level, unrecognized: String?) {
        let settings = LogSettings(reading: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment)))
        #expect(settings.format == format && settings.level == level && settings.unrecognizedFormat == unrecognized)
    }
}

/// Counts the reads of each key.
final class KeyCounter: AccessReporter {
    private let reads = Mutex<[String: Int]>([:])

    var counts: [String: Int] { reads.withLock { $0 } }

    func report(_ event: AccessEvent) {
        reads.withLock { $0[event.metadata.key.description, default: 0] += 1 }
    }
}
