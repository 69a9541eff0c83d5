// swift-tools-version:6.1
import PackageDescription

let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Shroff",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "shroff", targets: ["shroff"]),
        .library(name: "ShroffClient", targets: ["ShroffClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Already in the graph through Hummingbird; no traits: the gateway reads only the environment.
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: []),
    ],
    targets: [
        // Domain core: money, intents, the state machine, validation and the ports. No I/O.
        .target(
            name: "ShroffCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swift6
        ),
        // The stores behind the core's ports, written once: every query, row mapping and migration,
        // over a small engine abstraction (sessions, transactions, the SQL dialect).
        .target(
            name: "ShroffStorage",
            dependencies: ["ShroffCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swift6
        ),
        // The engine on embedded SQLite: one writing connection (serialised write transactions, those
        // that queue sharing one commit) beside a pool of read-only connections, each driven through
        // the C API of the SQLite that sqlite-nio builds, with its prepared statements cached.
        .target(
            name: "ShroffSQLite",
            dependencies: [
                "ShroffStorage",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swift6
        ),
        // The engine on PostgreSQL, for several gateway nodes sharing one database: a pool, row locks.
        .target(
            name: "ShroffPostgres",
            dependencies: [
                "ShroffStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swift6
        ),
        // Clients of the wallet providers' protocols (providers.md).
        .target(
            name: "ShroffConnectors",
            dependencies: [
                "ShroffCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swift6
        ),
        // The merchant contract's answer types, one definition encoded by the gateway and decoded by the SDK.
        .target(name: "ShroffAPI", swiftSettings: swift6),
        // The merchant contract's OpenAPI document, compiled into the binary (no resource bundle to ship):
        // openapi/embed writes it into a Swift string literal.
        .target(name: "ShroffAPIDocument", path: "openapi", exclude: ["openapi.json", "embed"], swiftSettings: swift6),
        // A QR Code encoder (byte mode, level M, versions 1–40) with SVG and PNG output. No dependencies, no I/O.
        .target(name: "ShroffQR", swiftSettings: swift6),
        // The emulated wallet provider: the providers' side of the same protocols, written independently,
        // and the application that serves it alone (`shroff sandbox`).
        .target(
            name: "ShroffSandbox",
            dependencies: [
                "ShroffQR",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swift6
        ),
        // The gateway's metrics (Prometheus), its JSON log handler and the measured provider wrapper.
        .target(
            name: "ShroffObservability",
            dependencies: [
                "ShroffCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swift6
        ),
        // The gateway's background services: webhook delivery (outbox, limits, target policy, transport)
        // and reconciliation. No HTTP server.
        .target(
            name: "ShroffBackground",
            dependencies: [
                "ShroffCore", "ShroffObservability",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swift6
        ),
        // The merchant dashboard (`/dashboard`) and the operator console (`/operator`): server-rendered
        // pages over the core's ports, registered by the composition root. No sandbox, no connectors.
        .target(
            name: "ShroffDashboard",
            dependencies: [
                "ShroffCore", "ShroffQR",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swift6
        ),
        // The gateway: the merchant HTTP API and provider callbacks (HTTP/), the composition root
        // (Composition/), its configuration (Configuration/) and the operator's commands (Operator/).
        .target(
            name: "ShroffApp",
            dependencies: [
                "ShroffCore", "ShroffStorage", "ShroffSQLite", "ShroffPostgres", "ShroffConnectors", "ShroffSandbox",
                "ShroffObservability", "ShroffBackground", "ShroffDashboard", "ShroffAPI", "ShroffAPIDocument",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swift6
        ),
        // The Swift SDK for merchants' engineers.
        .target(
            name: "ShroffClient",
            dependencies: [
                "ShroffAPI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swift6
        ),
        .executableTarget(
            name: "shroff",
            dependencies: [
                "ShroffApp", "ShroffClient", "ShroffSandbox", "ShroffObservability",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swift6
        ),
        .testTarget(name: "ShroffCoreTests", dependencies: ["ShroffCore"], swiftSettings: swift6),
        .testTarget(name: "ShroffQRTests", dependencies: ["ShroffQR"], swiftSettings: swift6),
        .testTarget(
            name: "ShroffClientTests",
            dependencies: ["ShroffClient", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "ShroffAppTests",
            dependencies: [
                "ShroffApp", "ShroffCore", "ShroffStorage", "ShroffSQLite", "ShroffBackground", "ShroffObservability", "ShroffSandbox",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "ShroffStorageTests",
            dependencies: [
                "ShroffCore", "ShroffStorage", "ShroffSQLite", "ShroffPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "ProtocolFixtureTests",
            dependencies: [
                "ShroffConnectors", "ShroffSandbox", "ShroffCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "ShroffApp", "ShroffSandbox", "ShroffCore", "ShroffConnectors", "ShroffClient", "ShroffDashboard",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swift6
        ),
    ]
)
