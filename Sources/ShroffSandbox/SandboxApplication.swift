import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import ShroffSandbox

/// The sandbox provider alone on its own port (`shroff sandbox`), for pointing a gateway at it as
/// at a remote provider. It accepts the AMS client `clientID` with `clientPublicKey`.
public func buildSandboxApplication(
    host: String, port: Int, publicBaseURL: String, providerPrivateKeyPEM: String, clients: [String: String],
    wapPartners: [String: SandboxWAPPartner] = [:],
    notificationSchedule: [Duration] = SandboxConfiguration.providerSchedule, logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let sandbox = try SandboxProvider(
        configuration: SandboxConfiguration(
            publicBaseURL: publicBaseURL, providerPrivateKeyPEM: providerPrivateKeyPEM, clients: clients,
            notificationSchedule: notificationSchedule
        ),
        wap: wapPartners.isEmpty ? nil : try SandboxWAPGateway(
            configuration: SandboxWAPConfiguration(
                publicBaseURL: publicBaseURL, partners: wapPartners, providerPrivateKeyPEM: providerPrivateKeyPEM,
                notificationSchedule: notificationSchedule
            ),
            logger: logger
        ),
        logger: logger
    )
    let router = Router()
    sandbox.register(on: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(host, port: port), serverName: "shroff-sandbox"),
        services: [SandboxCloser(sandbox: sandbox)],
        onServerRunning: onServerRunning,
        logger: logger
    )
}

struct SandboxCloser: Service {
    let sandbox: SandboxProvider
    func run() async throws {
        try? await gracefulShutdown()
        await sandbox.shutdown()
    }
}
