import Foundation
import Logging
import ShroffConnectors
import ShroffCore
import ShroffObservability
import ShroffSandbox

/// The AMS client the gateway uses, and the embedded sandbox it talks to when there is one.
struct ProviderConnection {
    let client: AMSClient
    let wap: WAPClient?
    let sandbox: SandboxProvider?

    static func make(configuration: GatewayConfiguration, checkoutLinks: WAPCheckoutLinks, logger: Logger) throws -> ProviderConnection {
        let notifyPath = ProviderCallbacks.amsNotifyPath
        switch configuration.provider {
        case .embeddedSandbox(let schedule, let wapSignType):
            let keys = try SandboxKeys.load(dataDirectory: configuration.dataDirectory)
            // The gateway reaches its own embedded provider over loopback, as it would a remote one.
            let loopback = "http://\(configuration.loopbackHost):\(configuration.port)"
            let sandbox = try SandboxProvider(
                configuration: SandboxConfiguration(
                    publicBaseURL: configuration.publicBaseURL, providerPrivateKeyPEM: keys.providerPrivateKeyPEM,
                    clients: [SandboxDefaults.clientID: keys.gatewayPublicKeyPEM], notificationSchedule: schedule,
                    // Its daily files go where the gateway imports them from, as a synced SFTP folder would.
                    settlement: SandboxSettlementConfiguration(
                        folder: configuration.settlementFolderPath, utcOffsetSeconds: configuration.settlementUTCOffsetSeconds
                    )
                ),
                wap: try SandboxWAPGateway(
                    configuration: SandboxWAPConfiguration(
                        publicBaseURL: configuration.publicBaseURL, partners: SandboxKeys.wapPartners(keys),
                        providerPrivateKeyPEM: keys.providerPrivateKeyPEM, notificationSchedule: schedule
                    ),
                    logger: logger.with(metadata: "component", "sandbox-wap")
                ),
                logger: logger.with(metadata: "component", "sandbox")
            )
            let ams = AMSConfiguration(
                baseURL: loopback, clientID: SandboxDefaults.clientID,
                merchantPrivateKey: try RSAKeyText.privateKey(keys.gatewayPrivateKeyPEM, role: "sandbox gateway private key"),
                providerPublicKey: try RSAKeyText.publicKey(keys.providerPublicKeyPEM, role: "sandbox provider public key"),
                notifyURL: loopback + notifyPath, requestTimeout: .seconds(configuration.providerTimeoutSeconds)
            )
            let wap = WAPConfiguration(
                gatewayURL: loopback + "/gateway.do", partner: SandboxDefaults.wapPartner,
                signType: wapSignType == .md5
                    ? .md5(key: keys.wapMD5Key)
                    : .rsa2(
                        merchantPrivateKey: try RSAKeyText.privateKey(keys.gatewayPrivateKeyPEM, role: "sandbox gateway private key"),
                        providerPublicKey: try RSAKeyText.publicKey(keys.providerPublicKeyPEM, role: "sandbox provider public key")
                    ),
                notifyURL: loopback + ProviderCallbacks.wapNotifyPath,
                defaultReturnURL: configuration.publicBaseURL + "/checkout/complete", checkoutLinks: checkoutLinks,
                requestTimeout: .seconds(configuration.providerTimeoutSeconds)
            )
            return ProviderConnection(
                client: AMSClient(configuration: ams, timestamps: configuration.timestamps, logger: logger),
                wap: WAPClient(configuration: wap, logger: logger), sandbox: sandbox
            )
        case .remote(let remote):
            let ams = AMSConfiguration(
                baseURL: remote.baseURL, clientID: remote.clientID,
                merchantPrivateKey: try RSAKeyText.privateKey(remote.merchantPrivateKey, role: "SHROFF_AMS_MERCHANT_PRIVATE_KEY"),
                providerPublicKey: try RSAKeyText.publicKey(remote.providerPublicKey, role: "SHROFF_AMS_PROVIDER_PUBLIC_KEY"),
                notifyURL: configuration.publicBaseURL + notifyPath,
                requestTimeout: .seconds(configuration.providerTimeoutSeconds)
            )
            var wap: WAPClient?
            if let remoteWAP = remote.wap {
                let signType: WAPSignType
                switch remoteWAP.signType {
                case .md5:
                    guard let key = remoteWAP.md5Key else { throw ConfigurationError(description: "SHROFF_WAP_MD5_KEY is required for MD5") }
                    signType = .md5(key: key)
                case .rsa2:
                    guard let privateKey = remoteWAP.merchantPrivateKey, let publicKey = remoteWAP.providerPublicKey else {
                        throw ConfigurationError(description: "SHROFF_WAP_PRIVATE_KEY and SHROFF_WAP_PROVIDER_PUBLIC_KEY are required for RSA2")
                    }
                    signType = .rsa2(
                        merchantPrivateKey: try RSAKeyText.privateKey(privateKey, role: "SHROFF_WAP_PRIVATE_KEY"),
                        providerPublicKey: try RSAKeyText.publicKey(publicKey, role: "SHROFF_WAP_PROVIDER_PUBLIC_KEY")
                    )
                }
                wap = WAPClient(
                    configuration: WAPConfiguration(
                        gatewayURL: remoteWAP.gatewayURL, partner: remoteWAP.partner, signType: signType,
                        notifyURL: configuration.publicBaseURL + ProviderCallbacks.wapNotifyPath,
                        defaultReturnURL: configuration.publicBaseURL + "/checkout/complete", checkoutLinks: checkoutLinks,
                        requestTimeout: .seconds(configuration.providerTimeoutSeconds)
                    ),
                    logger: logger
                )
            }
            return ProviderConnection(
                client: AMSClient(configuration: ams, timestamps: configuration.timestamps, logger: logger), wap: wap, sandbox: nil
            )
        }
    }

    /// The connectors as the payment service uses them: measured and recorded (each attempt),
    /// behind a circuit breaker, and retried when a call gets no answer; and their breakers' health
    /// (calls, failures, state), which the node reports for the operator console.
    func providers(
        configuration: GatewayConfiguration, metrics: GatewayMetrics, activity: any ProviderActivityLog
    ) -> (router: ProviderRouter, health: @Sendable () async -> [ProviderHealth]) {
        var breakers: [(String, CircuitBreaker)] = []
        func resilient(_ provider: any PaymentProvider, name: String) -> ResilientProvider {
            let breaker = CircuitBreaker(
                failureThreshold: configuration.circuitBreakerFailures, openDuration: configuration.circuitBreakerOpenDuration
            )
            breakers.append((name, breaker))
            return ResilientProvider(
                wrapping: MeasuredProvider(
                    wrapped: RecordedProvider(wrapping: provider, name: name, log: activity), name: name, metrics: metrics
                ),
                breaker: breaker, retryDelays: configuration.providerRetryDelays
            )
        }
        let router = ProviderRouter(ams: resilient(client, name: "alipayplus_ams"), wap: wap.map { resilient($0, name: "alipayhk_wap") })
        let all = breakers
        return (router, {
            var health: [ProviderHealth] = []
            for (name, breaker) in all { health.append(await breaker.health(provider: name)) }
            return health
        })
    }
}
