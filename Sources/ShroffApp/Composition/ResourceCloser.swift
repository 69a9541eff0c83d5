import Logging
import ServiceLifecycle
import ShroffSandbox

/// Releases the database and the sandbox's pending notifications when the server shuts down.
struct ResourceCloser: Service {
    let database: DatabaseConnection
    let sandbox: SandboxProvider?
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        await sandbox?.shutdown()
        try await database.close()
        logger.info("resources released")
    }
}
