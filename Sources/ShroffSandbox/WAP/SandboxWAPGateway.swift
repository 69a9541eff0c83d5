import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import _CryptoExtras

/// The emulated Alipay Global WAP gateway (providers.md §2): `/gateway.do` with
/// `create_forex_trade_wap` (the H5 wallet page), `single_trade_query`, `close_trade`,
/// `forex_refund` and `notify_verify`; signed `trade_status_sync` notifications; test helpers.
/// Written independently of the gateway's WAP connector.
public final class SandboxWAPGateway: Sendable {
    struct PartnerKeys: Sendable {
        let md5Key: String?
        let rsaPublicKey: _RSA.Signing.PublicKey?
        let displayName: String?
    }

    let configuration: SandboxWAPConfiguration
    let providerKey: _RSA.Signing.PrivateKey
    let partners: [String: PartnerKeys]
    let book = SandboxWAPBook()
    let faults = SandboxFaults()
    let notifier: SandboxWAPNotifier
    let logger: Logger

    static let productCode = "NEW_WAP_OVERSEAS_SELLER"
    static let wallets: Set<String> = ["ALIPAYHK", "ALIPAYCN"]
    static let services: Set<String> = ["create_forex_trade_wap", "single_trade_query", "close_trade", "forex_refund", "notify_verify"]
    /// The `timeout_rule` values and their length; 12h when the parameter is absent.
    static let timeoutRules: [String: Duration] = [
        "5m": .seconds(300), "10m": .seconds(600), "15m": .seconds(900), "30m": .seconds(1800), "1h": .seconds(3600),
        "2h": .seconds(7200), "3h": .seconds(10_800), "5h": .seconds(18_000), "10h": .seconds(36_000), "12h": .seconds(43_200),
        "1d": .seconds(86_400),
    ]
    static let defaultTimeoutRule = "12h"

    public init(configuration: SandboxWAPConfiguration, httpClient: HTTPClient = .shared, logger: Logger) throws {
        self.configuration = configuration
        self.providerKey = try SandboxRSAKeys.privateKey(configuration.providerPrivateKeyPEM, owner: "sandbox WAP provider")
        var partners: [String: PartnerKeys] = [:]
        for (partner, settings) in configuration.partners {
            var rsaKey: _RSA.Signing.PublicKey?
            if let text = settings.rsaPublicKeyPEM {
                guard let key = SandboxRSAKeys.publicKey(text) else {
                    throw SandboxSetupError(description: "RSA public key of WAP partner \(partner) is not a valid RSA key")
                }
                rsaKey = key
            }
            if let md5Key = settings.md5Key, md5Key.isEmpty {
                throw SandboxSetupError(description: "MD5 key of WAP partner \(partner) is empty")
            }
            partners[partner] = PartnerKeys(md5Key: settings.md5Key, rsaPublicKey: rsaKey, displayName: settings.displayName)
        }
        self.partners = partners
        self.logger = logger
        self.notifier = SandboxWAPNotifier(
            book: book, schedule: configuration.notificationSchedule, httpClient: httpClient, logger: logger
        )
    }

    /// Stops pending notification retries.
    public func shutdown() async {
        await notifier.cancelAll()
    }

    /// Mounts `/gateway.do` (GET, and POST with a form body), the wallet page's actions under
    /// `/sandbox/wap/...` and the test helpers under `/sandbox/v1/wap/...`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/gateway.do") { request, _ in try await self.gateway(request) }
        router.post("/gateway.do") { request, _ in try await self.gateway(request) }
        router.post("/sandbox/wap/pay/:outTradeNo") { request, context in
            try await self.pageAction(request, outTradeNo: context.parameters.get("outTradeNo") ?? "")
        }
        router.post("/sandbox/v1/wap/simulate") { request, _ in try await self.simulateRoute(request) }
        router.get("/sandbox/v1/wap/trades/:outTradeNo") { _, context in
            let outTradeNo = context.parameters.get("outTradeNo") ?? ""
            guard let trade = await self.book.trade(partner: nil, outTradeNo: outTradeNo, tradeNo: nil, now: Date()) else {
                return Self.jsonResponse(404, Self.jsonError("not_found", "no sandbox WAP trade with that out_trade_no"))
            }
            return Self.jsonResponse(200, await self.describe(trade))
        }
    }
}
