import NIOCore
import NIOPosix
import Synchronization

/// A webhook endpoint that accepts TCP connections and never answers: the slowest receiver there
/// is, held until the sender's own timeout. Counts the connections it accepted.
final class Tarpit: Sendable {
    /// The accepted connections, shared with the listener's initializer.
    private final class Connections: Sendable {
        let channels = Mutex<[any Channel]>([])
    }

    private let channel: any Channel
    private let connections: Connections
    let port: Int

    private init(channel: any Channel, connections: Connections) {
        self.channel = channel
        self.connections = connections
        port = channel.localAddress?.port ?? 0
    }

    static func start() async throws -> Tarpit {
        let connections = Connections()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                // No handlers: whatever arrives is read and dropped, nothing is ever written back.
                connections.channels.withLock { $0.append(child) }
                return child.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return Tarpit(channel: channel, connections: connections)
    }

    var url: String { "http://127.0.0.1:\(port)/hooks" }

    /// Connections accepted so far.
    var accepted: Int { connections.channels.withLock { $0.count } }

    /// Connections accepted and still open (the sender has not given up on them yet).
    var open: Int { connections.channels.withLock { $0.filter(\.isActive).count } }

    func stop() async {
        for child in connections.channels.withLock({ $0 }) { try? await child.close() }
        try? await channel.close()
    }
}
