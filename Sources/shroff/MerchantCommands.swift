import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import ShroffApp
import ShroffClient

/// The merchant's saved connection: `shroff login` writes it, the other merchant commands read it.
/// `SHROFF_BASE_URL`, `SHROFF_CLIENT_ID` and `SHROFF_API_KEY` override it.
struct Profile: Codable {
    var baseURL: String
    var clientID: String
    var apiKey: String

    enum CodingKeys: String, CodingKey {
        case baseURL = "base_url"
        case clientID = "client_id"
        case apiKey = "api_key"
    }

    static var folder: String {
        let environment = ProcessInfo.processInfo.environment
        if let folder = environment["SHROFF_CONFIG_DIR"], !folder.isEmpty { return folder }
        return (environment["HOME"] ?? ".") + "/.config/shroff"
    }

    static var path: String { folder + "/profile.json" }

    static func load() throws -> Profile {
        let environment = ProcessInfo.processInfo.environment
        var profile = (try? Data(contentsOf: URL(fileURLWithPath: path))).flatMap { try? JSONDecoder().decode(Profile.self, from: $0) }
        if let baseURL = environment["SHROFF_BASE_URL"], let clientID = environment["SHROFF_CLIENT_ID"], let apiKey = environment["SHROFF_API_KEY"] {
            profile = Profile(baseURL: baseURL, clientID: clientID, apiKey: apiKey)
        }
        guard let profile else {
            throw ValidationError("not logged in: run `shroff login --client-id … --api-key …` or set SHROFF_BASE_URL, SHROFF_CLIENT_ID, SHROFF_API_KEY")
        }
        return profile
    }

    func save() throws {
        try FileManager.default.createDirectory(atPath: Self.folder, withIntermediateDirectories: true)
        let data = try JSONEncoder().encode(self)
        // The API key is a secret: readable by the user only.
        guard FileManager.default.createFile(atPath: Self.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("could not write \(Self.path)")
        }
    }

    var client: ShroffClient {
        ShroffClient(configuration: .init(baseURL: baseURL, clientID: clientID, apiKey: apiKey))
    }
}

/// Output: aligned `key  value` lines for people, one JSON document per answer with `--json`.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print answers as JSON.")
    var json = false

    func print<T: Encodable>(_ value: T, fields: [(String, String?)]) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
        } else {
            let width = fields.map(\.0.count).max() ?? 0
            for (key, value) in fields where value != nil {
                Swift.print(Terminal.dim(key.padding(toLength: width, withPad: " ", startingAt: 0)) + "  " + value!)
            }
        }
    }
}

/// Colours only on a terminal: piped output stays plain.
enum Terminal {
    static let colours = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    static func dim(_ text: String) -> String { colours ? "\u{1B}[2m\(text)\u{1B}[0m" : text }
    static func status(_ text: String) -> String {
        guard colours else { return text }
        switch text {
        case "SUCCEEDED", "succeeded": return "\u{1B}[32m\(text)\u{1B}[0m"
        case "CANCELLED", "FAILED", "failed": return "\u{1B}[31m\(text)\u{1B}[0m"
        default: return "\u{1B}[33m\(text)\u{1B}[0m"
        }
    }
}

/// Turns an API error into a one-line message and a failing exit code.
func run<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ShroffError {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(2)
    }
}

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Save the merchant credentials the other commands use, after checking them.")

    @Option(name: .customLong("base-url"), help: "The gateway's address.")
    var baseURL = "http://127.0.0.1:8080"
    @Option(name: .customLong("client-id"))
    var clientID: String
    @Option(name: .customLong("api-key"), help: "Kept in the profile file, readable by you only.")
    var apiKey: String

    func run() async throws {
        let profile = Profile(baseURL: baseURL, clientID: clientID, apiKey: apiKey)
        _ = try await shroff.run { try await profile.client.accessToken() }
        try profile.save()
        print("Logged in to \(baseURL) as \(clientID); saved to \(Profile.path)")
    }
}

struct Intents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, query and cancel payment intents.", subcommands: [Create.self, Query.self, Cancel.self]
    )

    static func fields(_ intent: PaymentIntent) -> [(String, String?)] {
        [
            ("order_id", intent.orderID), ("merchant_order_id", intent.merchantOrderID),
            ("status", Terminal.status(intent.status)), ("amount", "\(intent.amount) \(intent.currency)"),
            ("next_action", intent.nextAction.map { "\($0.type) \($0.url)" }), ("created", intent.createTime),
            ("expires", intent.expiresAt), ("paid", intent.payTime), ("wallet", intent.paymentMethod),
            ("refunded", intent.refundedAmount == "0" ? nil : intent.refundedAmount), ("failure", intent.failureCode),
        ] + Settlements.fields(intent.settlement)
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a payment intent.")

        enum Method: String, ExpressibleByArgument, CaseIterable {
            case aplusCashier = "aplus-cashier", alipayhkQRCode = "alipayhk-qrcode", alipayhkH5 = "alipayhk-h5"
        }

        @Option var amount: String
        @Option var currency: String
        @Option(help: "aplus-cashier, alipayhk-qrcode or alipayhk-h5.")
        var method: Method = .aplusCashier
        @Option(help: "A wallet: CONNECT_WALLET or a specific one for aplus; ALIPAYCN or ALIPAYHK for alipayhk.")
        var wallet: String?
        @Option(name: .customLong("merchant-order-id"), help: "Default: a new unique id.")
        var merchantOrderID: String?
        @Option var description = "Payment"
        @Option(name: .customLong("terminal-type"))
        var terminalType = "WEB"
        @Option(name: .customLong("notify-url"))
        var notifyURL: String?
        @Option(name: .customLong("return-url"))
        var returnURL: String?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let paymentMethod: PaymentMethod = switch method {
            case .aplusCashier: .aplusCashier(terminalType: terminalType, presentmentMode: wallet == nil ? nil : "TILE", wallet: wallet)
            case .alipayhkQRCode: .alipayHKQRCode(wallet: wallet ?? "ALIPAYHK")
            case .alipayhkH5: .alipayHKMobileWeb(wallet: wallet ?? "ALIPAYHK")
            }
            let request = CreatePaymentIntent(
                amount: amount, currency: currency,
                merchantOrderID: merchantOrderID ?? "cli-\(Int(Date().timeIntervalSince1970 * 1000))",
                description: description, paymentMethod: paymentMethod, notifyURL: notifyURL, returnURL: returnURL
            )
            let client = try Profile.load().client
            let intent = try await shroff.run { try await client.createPaymentIntent(request) }
            try output.print(intent, fields: Intents.fields(intent))
        }
    }

    struct Query: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a payment intent.")
        @OptionGroup var intent: IntentLookup

        func run() async throws { try await intent.show { try await $0.paymentIntent(orderID: $1, merchantOrderID: $2) } }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a PENDING payment intent.")
        @OptionGroup var intent: IntentLookup

        func run() async throws { try await intent.show { try await $0.cancelPaymentIntent(orderID: $1, merchantOrderID: $2) } }
    }
}

/// Which intent a command acts on, and how its answer is printed.
struct IntentLookup: ParsableArguments {
    @Option(name: .customLong("order-id")) var orderID: String?
    @Option(name: .customLong("merchant-order-id")) var merchantOrderID: String?
    @OptionGroup var output: OutputOptions

    func show(_ call: @Sendable (ShroffClient, String?, String?) async throws -> PaymentIntent) async throws {
        let client = try Profile.load().client
        let intent = try await shroff.run { try await call(client, orderID, merchantOrderID) }
        try output.print(intent, fields: Intents.fields(intent))
    }
}

struct Refunds: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create and query refunds.", subcommands: [Create.self, Query.self])

    static func fields(_ refund: Refund) -> [(String, String?)] {
        [
            ("refund_id", refund.refundID), ("merchant_refund_id", refund.merchantRefundID), ("order_id", refund.orderID),
            ("status", Terminal.status(refund.status)), ("amount", "\(refund.amount) \(refund.currency)"),
            ("created", refund.createTime), ("finished", refund.finishTime), ("failure", refund.failureCode),
        ] + Settlements.fields(refund.settlement)
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refund all or part of a SUCCEEDED intent.")
        @Option(name: .customLong("order-id")) var orderID: String?
        @Option(name: .customLong("merchant-order-id")) var merchantOrderID: String?
        @Option(name: .customLong("merchant-refund-id"), help: "Default: a new unique id.") var merchantRefundID: String?
        @Option var amount: String
        @Option var reason: String?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let request = CreateRefund(
                orderID: orderID, merchantOrderID: merchantOrderID,
                merchantRefundID: merchantRefundID ?? "cli-\(Int(Date().timeIntervalSince1970 * 1000))", amount: amount, reason: reason
            )
            let client = try Profile.load().client
            let refund = try await shroff.run { try await client.createRefund(request) }
            try output.print(refund, fields: Refunds.fields(refund))
        }
    }

    struct Query: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a refund.")
        @Option(name: .customLong("refund-id")) var refundID: String?
        @Option(name: .customLong("merchant-refund-id")) var merchantRefundID: String?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let client = try Profile.load().client
            let refund = try await shroff.run { try await client.refund(refundID: refundID, merchantRefundID: merchantRefundID) }
            try output.print(refund, fields: Refunds.fields(refund))
        }
    }
}

struct Webhooks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "See and replay webhook deliveries.", subcommands: [List.self, Resend.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List webhook deliveries with their attempts.")
        @Option(name: .customLong("order-id")) var orderID: String?
        @Option(help: "pending, succeeded, failed or no_endpoint.") var status: String?
        @Option var limit = 20
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let client = try Profile.load().client
            let page = try await shroff.run {
                try await client.webhookDeliveries(WebhookDeliveryFilter(orderID: orderID, status: status, limit: limit))
            }
            if output.json {
                try output.print(page, fields: [])
                return
            }
            for delivery in page.deliveries {
                let last = delivery.attempts.last.map { " last: \($0.httpStatus.map(String.init) ?? "-") \($0.error ?? "")" } ?? ""
                print("\(delivery.webhookID)  \(delivery.notifyType)  \(delivery.orderID)  \(Terminal.status(delivery.status))  attempts \(delivery.attemptCount)\(last)")
            }
        }
    }

    struct Resend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a webhook again (same webhook-id).")
        @Argument(help: "The webhook id (msg_…).") var webhookID: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let client = try Profile.load().client
            let delivery = try await shroff.run { try await client.resendWebhook(id: webhookID) }
            try output.print(delivery, fields: [("webhook_id", delivery.webhookID), ("status", Terminal.status(delivery.status))])
        }
    }
}

/// Follows the merchant's webhook events and forwards each to a local URL, signed with the
/// merchant's secret, like `stripe listen`: events arrive from the gateway's outbox over the API,
/// so a development machine needs no public address.
struct Listen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Forward new webhook events to a local endpoint.")

    @Option(name: .customLong("forward-to"), help: "Where to POST each event, e.g. http://localhost:3000/webhooks.")
    var forwardTo: String
    @Option(name: .customLong("webhook-secret"), help: "The merchant's whsec_ secret to sign forwarded events (default: SHROFF_WEBHOOK_SECRET).")
    var webhookSecret: String?
    @Option(help: "Seconds between looks for new events.")
    var interval: Double = 1
    @Flag(help: "Forward events that existed before listen started too.")
    var replay = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try Profile.load().client
        let secret = webhookSecret ?? ProcessInfo.processInfo.environment["SHROFF_WEBHOOK_SECRET"]
        let signer = try secret.map(WebhookSigner.init(secret:))
        var cursor: String?
        if !replay {
            // Start after the newest existing event.
            while true {
                let page = try await shroff.run { try await client.webhookDeliveries(WebhookDeliveryFilter(cursor: cursor, limit: 100)) }
                cursor = page.nextCursor ?? cursor
                if !page.hasMore { break }
            }
        }
        if !output.json { FileHandle.standardError.write(Data("Ready: forwarding webhook events to \(forwardTo) (Ctrl-C to stop)\n".utf8)) }
        while !Task.isCancelled {
            let page = try await shroff.run { try await client.webhookDeliveries(WebhookDeliveryFilter(cursor: cursor, limit: 100)) }
            for delivery in page.deliveries {
                let status = await forward(delivery, signer: signer)
                if output.json {
                    let line: [String: String] = [
                        "webhook_id": delivery.webhookID, "notify_type": delivery.notifyType, "order_id": delivery.orderID,
                        "forward_status": status,
                    ]
                    // Unbuffered, so each event shows at once even when piped.
                    Console.write(String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self))
                } else {
                    Console.write("--> \(delivery.notifyType) \(delivery.webhookID) \(delivery.orderID)  <-- \(status)")
                }
            }
            cursor = page.nextCursor ?? cursor
            if !page.hasMore { try await Task.sleep(for: .milliseconds(Int(interval * 1000))) }
        }
    }

    func forward(_ delivery: WebhookDelivery, signer: WebhookSigner?) async -> String {
        let body = Data((delivery.payload?.text ?? "{}").utf8)
        var request = HTTPClientRequest(url: forwardTo)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        for (name, value) in signer?.headers(id: delivery.webhookID, body: body) ?? [("webhook-id", delivery.webhookID)] {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
            _ = try? await response.body.collect(upTo: 1 << 20)
            return String(response.status.code)
        } catch {
            return "error (\(type(of: error)))"
        }
    }
}
