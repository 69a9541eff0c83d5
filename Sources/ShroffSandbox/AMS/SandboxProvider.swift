import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import _CryptoExtras

/// The emulated wallet provider: AMS endpoints, hosted pages and test helpers, mountable on any router.
public final class SandboxProvider: Sendable {
    let configuration: SandboxConfiguration
    let signing: ProviderSigning
    let clientKeys: [String: _RSA.Signing.PublicKey]
    let ledger: SandboxLedger
    /// Shared with the WAP gateway, so one control endpoint arms faults for both protocols.
    let faults: SandboxFaults
    let notifier: SandboxNotifier
    let logger: Logger
    /// The WAP gateway mounted beside this provider, so `simulate` also drives trades by `out_trade_no`.
    let wap: SandboxWAPGateway?
    let settlements: SandboxSettlements
    /// Writes each day's settlement files at its end, when there is a settlement folder.
    let dailySettlements: Task<Void, Never>?

    public init(configuration: SandboxConfiguration, wap: SandboxWAPGateway? = nil, httpClient: HTTPClient = .shared, logger: Logger) throws {
        self.configuration = configuration
        self.wap = wap
        self.faults = wap?.faults ?? SandboxFaults()
        self.signing = ProviderSigning(
            providerKey: try SandboxRSAKeys.privateKey(configuration.providerPrivateKeyPEM, owner: "sandbox provider")
        )
        var keys: [String: _RSA.Signing.PublicKey] = [:]
        for (clientID, text) in configuration.clients {
            guard let key = SandboxRSAKeys.publicKey(text) else {
                throw SandboxSetupError(description: "public key of AMS client \(clientID) is not a valid RSA key")
            }
            keys[clientID] = key
        }
        self.clientKeys = keys
        self.logger = logger
        self.notifier = SandboxNotifier(
            signing: signing, schedule: configuration.notificationSchedule, httpClient: httpClient, logger: logger
        )
        let ledger = SandboxLedger()
        let settlements = SandboxSettlements(
            configuration: configuration.settlement, ledger: ledger, wapBook: wap?.book, customers: Array(configuration.clients.keys),
            partners: wap.map { Array($0.configuration.partners.keys) } ?? [], logger: logger
        )
        self.ledger = ledger
        self.settlements = settlements
        self.dailySettlements = configuration.settlement.folder == nil ? nil : Task { await settlements.runDaily() }
    }

    /// Stops pending notification retries and the daily settlement files.
    public func shutdown() async {
        dailySettlements?.cancel()
        await notifier.cancelAll()
        await wap?.shutdown()
    }

    /// Mounts the provider's routes: `/ams/...`, `/sandbox/...`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        wap?.register(on: router)
        for prefix in ["/ams/api/v1/payments", "/ams/sandbox/api/v1/payments"] {
            router.post("\(prefix)/:operation") { request, context in
                try await self.amsCall(request, operation: context.parameters.get("operation") ?? "", path: request.uri.path)
            }
        }
        router.post("/sandbox/v1/payments/simulate") { request, _ in try await self.simulate(request) }
        router.post("/sandbox/v1/refunds/simulate") { request, _ in try await self.simulateRefund(request) }
        router.get("/sandbox/v1/refunds/:refundRequestID") { _, context in
            try await self.inspectRefund(requestID: context.parameters.get("refundRequestID") ?? "")
        }
        router.post("/sandbox/v1/control") { request, _ in try await self.control(request) }
        router.post("/sandbox/v1/settlements/generate") { request, _ in try await self.generateSettlements(request) }
        router.post("/sandbox/v1/settlements/discrepancies") { request, _ in try await self.setSettlementDiscrepancies(request) }
        router.get("/sandbox/v1/settlements/discrepancies") { _, _ in
            let discrepancies = await self.settlements.discrepancies
            return Self.jsonResponse(.ok, ["discrepancies": discrepancies.map(Self.describe)])
        }
        router.get("/sandbox/v1/control") { _, _ in Self.jsonResponse(.ok, ["faults": await self.faults.describe()]) }
        router.get("/sandbox/v1/payments") { _, _ in try await self.inspectAll() }
        router.get("/sandbox/v1/payments/:paymentRequestID") { _, context in
            try await self.inspect(requestID: context.parameters.get("paymentRequestID") ?? "")
        }
        router.get("/sandbox/cashier/:paymentID") { _, context in
            try await self.cashierPage(paymentID: context.parameters.get("paymentID") ?? "")
        }
        // Where a POST redirect (magic amount …55) lands: the same page.
        router.post("/sandbox/cashier/:paymentID") { _, context in
            try await self.cashierPage(paymentID: context.parameters.get("paymentID") ?? "")
        }
        router.get("/sandbox/qr/{paymentID}.png") { _, context in
            await self.qrImage(paymentID: context.parameters.get("paymentID") ?? "")
        }
        router.get("/sandbox/qr/:paymentID") { _, context in
            try await self.qrPage(paymentID: context.parameters.get("paymentID") ?? "")
        }
        router.post("/sandbox/pay/:paymentID") { request, context in
            try await self.pageAction(request, paymentID: context.parameters.get("paymentID") ?? "")
        }
    }
}
