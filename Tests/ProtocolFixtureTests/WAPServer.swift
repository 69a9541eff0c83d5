import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import ShroffSandbox
import Testing
import _CryptoExtras

/// The recorded WAP fixtures of `Fixtures/wap/` (see `Fixtures/wap/generate.sh`).
enum WAPFixture {
    static let partner = "2088101122136241"
    /// A second partner that only has an RSA key.
    static let rsaOnlyPartner = "2088101122136242"

    static func md5Key() throws -> String { try Fixture.text("wap/md5_key.txt") }

    /// The recorded parameters of `name` (`create_request`, `notification`), without sign / sign_type.
    static func parameters(_ name: String) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data(Fixture.bytes("wap/\(name)/params.json")))
    }

    static func content(_ name: String) throws -> [UInt8] { try Fixture.bytes("wap/\(name)/content.txt") }
    static func sign(_ name: String, _ signType: String) throws -> String {
        try Fixture.text("wap/\(name)/\(signType == "MD5" ? "md5" : "rsa2")_sign.txt")
    }
}

/// The tests' own reading of the WAP signing rule (providers.md §2), small on purpose and checked
/// against the openssl-recorded fixtures, so that the sandbox is not judged by its own signer.
enum TestWAPSigner {
    static func content(_ parameters: [String: String]) -> String {
        var pairs: [(key: [UInt8], text: String)] = []
        for (key, value) in parameters where key != "sign" && key != "sign_type" && value != "" {
            pairs.append((Array(key.utf8), key + "=" + value))
        }
        pairs.sort { $0.key.lexicographicallyPrecedes($1.key) }
        return pairs.map(\.text).joined(separator: "&")
    }

    static func md5(_ parameters: [String: String], key: String) -> String {
        Insecure.MD5.hash(data: Array((content(parameters) + key).utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func rsa2(_ parameters: [String: String], key: _RSA.Signing.PrivateKey) throws -> String {
        try key.signature(for: Array(content(parameters).utf8), padding: .insecurePKCS1v1_5).rawRepresentation.base64EncodedString()
    }

    static func verifyRSA2(_ parameters: [String: String], key: _RSA.Signing.PublicKey) -> Bool {
        guard let sign = parameters["sign"], let raw = Data(base64Encoded: sign) else { return false }
        return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: raw), for: Array(content(parameters).utf8), padding: .insecurePKCS1v1_5)
    }

    /// `parameters` with `sign` and `sign_type` as the partner signs a request.
    static func signed(_ parameters: [String: String], _ signType: String) throws -> [String: String] {
        var signed = parameters
        signed["sign"] = signType == "MD5"
            ? md5(parameters, key: try WAPFixture.md5Key())
            : try rsa2(parameters, key: _RSA.Signing.PrivateKey(pemRepresentation: Fixture.Party.merchant.privateKeyPEM()))
        signed["sign_type"] = signType
        return signed
    }

    /// Whether a message from the provider (notification, return) carries a valid sign for its sign_type.
    static func verifyFromProvider(_ parameters: [String: String]) throws -> Bool {
        switch parameters["sign_type"] {
        case "MD5": return parameters["sign"] == md5(parameters, key: try WAPFixture.md5Key())
        case "RSA2": return verifyRSA2(parameters, key: try _RSA.Signing.PublicKey(pemRepresentation: Fixture.Party.provider.publicKeyPEM()))
        default: return false
        }
    }

    /// Form / query encoding: everything but the unreserved characters percent-encoded (so `+` is `%2B`).
    static func encode(_ parameters: [String: String]) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-_.~")
        return parameters.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&")
    }

    /// Decodes `a=b&c=d` (`+` is a space).
    static func decode(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "<undecodable>"
            }
            fields[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return fields
    }
}

/// The real `SandboxWAPGateway` on a Hummingbird server on a free loopback port, with a notify
/// endpoint standing in for the gateway's that answers from a script and records every post.
struct WAPServer: Sendable {
    static let notifyPath = "/provider/wap/notify"

    let baseURL: String
    let receiver: Receiver
    let gateway: SandboxWAPGateway
    /// Never follows redirects (the wallet page's Pay answers 303 to the merchant's return_url).
    let client: HTTPClient

    var notifyURL: String { baseURL + Self.notifyPath }
    var gatewayURL: String { baseURL + "/gateway.do" }

    struct Notification: Sendable {
        let contentType: String?
        let body: String
        var fields: [String: String] { TestWAPSigner.decode(body) }
    }

    actor Receiver {
        private var answers: [String]
        private(set) var received: [Notification] = []

        init(answers: [String]) { self.answers = answers }

        /// Records the post and answers the next scripted text (`success` once the script is used up).
        func receive(_ notification: Notification) -> String {
            received.append(notification)
            return answers.isEmpty ? "success" : answers.removeFirst()
        }

        func setAnswers(_ answers: [String]) { self.answers = answers }
    }

    /// Waits until `count` notifications arrived (or fails after `seconds`).
    func notifications(count: Int, seconds: Double = 10) async throws -> [Notification] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let received = await receiver.received
            if received.count >= count { return received }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TimedOut(description: "timed out waiting for \(count) WAP notification(s); got \(await receiver.received.count)")
    }

    /// Runs `body` against a fresh sandbox WAP gateway that knows the fixture partners.
    static func with(
        schedule: [Duration] = [.zero, .milliseconds(150), .milliseconds(150), .milliseconds(150)],
        answers: [String] = [],
        _ body: (WAPServer) async throws -> Void
    ) async throws {
        let logger = Fixture.logger
        let gateway = try SandboxWAPGateway(
            configuration: SandboxWAPConfiguration(
                publicBaseURL: "https://sandbox.example.test",
                partners: [
                    WAPFixture.partner: SandboxWAPPartner(
                        md5Key: try WAPFixture.md5Key(), rsaPublicKeyPEM: try Fixture.Party.merchant.publicKeyPEM(), displayName: "Fixture Café"
                    ),
                    WAPFixture.rsaOnlyPartner: SandboxWAPPartner(rsaPublicKeyPEM: try Fixture.Party.merchant.publicKeyPEM()),
                ],
                providerPrivateKeyPEM: try Fixture.Party.provider.privateKeyPEM(),
                notificationSchedule: schedule
            ),
            logger: logger
        )
        let receiver = Receiver(answers: answers)
        let router = Router()
        router.post(RouterPath(stringLiteral: notifyPath)) { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let answer = await receiver.receive(Notification(contentType: request.headers[.contentType], body: String(buffer: body)))
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: answer)))
        }
        gateway.register(on: router)

        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? 0)
                portSink.finish()
            },
            logger: logger
        )
        // A graceful shutdown, not a cancel: cancelling the serving task can trap in NIO when a
        // connection is still being accepted (apple/swift-nio#3481).
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let server = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        let result: Result<Void, any Error>
        if port > 0 {
            do {
                try await body(WAPServer(baseURL: "http://127.0.0.1:\(port)", receiver: receiver, gateway: gateway, client: client))
                result = .success(())
            } catch {
                result = .failure(error)
            }
        } else {
            result = .failure(SandboxServer.SetupFailed())
        }
        await gateway.shutdown()
        await group.triggerGracefulShutdown()
        _ = await server.result
        try? await client.shutdown()
        try result.get()
    }

    // MARK: HTTP

    struct Answer: Sendable {
        let status: UInt
        let headers: [(name: String, value: String)]
        let text: String

        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }

        /// The text of the first `<name>…</name>` of an XML answer.
        func xml(_ name: String) -> String? {
            guard let open = text.range(of: "<\(name)>"), let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) else {
                return nil
            }
            return String(text[open.upperBound..<close.lowerBound])
        }

        /// The code an error page shows.
        var pageErrorCode: String? { between(#"<code id="error-code">"#, "</code>") }
        var pageErrorParameter: String? { between(#"<code id="error-parameter">"#, "</code>") }

        func between(_ start: String, _ end: String) -> String? {
            guard let open = text.range(of: start), let close = text.range(of: end, range: open.upperBound..<text.endIndex) else { return nil }
            return String(text[open.upperBound..<close.lowerBound])
        }

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:] }
    }

    func send(_ method: NIOHTTP1.HTTPMethod, _ url: String, contentType: String? = nil, body: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: url.hasPrefix("http") ? url : baseURL + url)
        request.method = method
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: UInt(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, text: String(buffer: bytes))
    }

    /// `GET /gateway.do?…` with these exact parameters.
    func get(_ parameters: [String: String]) async throws -> Answer {
        try await send(.GET, "/gateway.do?" + TestWAPSigner.encode(parameters))
    }

    /// A server-to-server call signed by the partner, as the gateway's client makes it.
    func call(_ service: String, _ arguments: [String: String], signType: String, partner: String = WAPFixture.partner) async throws -> Answer {
        var parameters = arguments
        parameters["service"] = service
        parameters["partner"] = partner
        parameters["_input_charset"] = "UTF-8"
        return try await get(TestWAPSigner.signed(parameters, signType))
    }

    func notifyVerify(_ notifyID: String, partner: String = WAPFixture.partner) async throws -> String {
        try await get(["service": "notify_verify", "partner": partner, "notify_id": notifyID]).text
    }

    /// The wallet page's button.
    func press(_ action: String, outTradeNo: String, partner: String = WAPFixture.partner) async throws -> Answer {
        try await send(.POST, "/sandbox/wap/pay/\(outTradeNo)", contentType: "application/x-www-form-urlencoded",
                       body: "partner=\(partner)&action=\(action)")
    }

    func simulate(_ outTradeNo: String, _ outcome: String) async throws -> Answer {
        try await send(.POST, "/sandbox/v1/wap/simulate", contentType: "application/json",
                       body: #"{"out_trade_no":"\#(outTradeNo)","outcome":"\#(outcome)"}"#)
    }

    func inspect(_ outTradeNo: String) async throws -> Answer {
        try await send(.GET, "/sandbox/v1/wap/trades/\(outTradeNo)")
    }

    /// Signed `create_forex_trade_wap` parameters for a fresh trade.
    func createParameters(
        outTradeNo: String = "ord_" + UUID().uuidString.prefix(8).lowercased(), totalFee: String = "10.50", currency: String = "HKD",
        paymentInst: String = "ALIPAYHK", returnURL: String? = "https://m.shop.example.com/orders/1?from=wap", timeoutRule: String? = nil,
        signType: String
    ) throws -> [String: String] {
        var parameters = [
            "service": "create_forex_trade_wap", "partner": WAPFixture.partner, "_input_charset": "UTF-8",
            "notify_url": notifyURL, "subject": "Café latte ×2 咖啡", "body": "2 cups & 1 cake = 1+1 items",
            "out_trade_no": outTradeNo, "currency": currency, "total_fee": totalFee,
            "product_code": "NEW_WAP_OVERSEAS_SELLER", "payment_inst": paymentInst,
        ]
        if let returnURL { parameters["return_url"] = returnURL }
        if let timeoutRule { parameters["timeout_rule"] = timeoutRule }
        return try TestWAPSigner.signed(parameters, signType)
    }
}
