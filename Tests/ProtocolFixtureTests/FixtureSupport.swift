import Foundation
import Logging
import ShroffConnectors
import ShroffCore
import Testing
import _CryptoExtras

/// The recorded fixtures of `Fixtures/` (see `Fixtures/generate.sh`: keys and signatures come from
/// openssl, never from the Swift code under test).
enum Fixture {
    static let root: URL = {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("Fixtures folder missing from the test bundle")
        }
        return url
    }()

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(relativePath)))
    }

    static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(relativePath), encoding: .utf8)
    }

    static func json(_ relativePath: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes(relativePath)))
    }

    /// The gateway's ("merchant's") pair signs requests; the provider's pair signs answers and notifications.
    enum Party: String, CaseIterable, Sendable {
        case merchant, provider

        var other: Party { self == .merchant ? .provider : .merchant }
        func privateKeyPEM() throws -> String { try Fixture.text("keys/\(rawValue)_private_key.pem") }
        func publicKeyPEM() throws -> String { try Fixture.text("keys/\(rawValue)_public_key.pem") }
        /// Read the way the gateway reads configured keys.
        func privateKey() throws -> _RSA.Signing.PrivateKey { try RSAKeyText.privateKey(privateKeyPEM(), role: rawValue) }
        func publicKey() throws -> _RSA.Signing.PublicKey { try RSAKeyText.publicKey(publicKeyPEM(), role: rawValue) }
    }

    /// The client id of the fixtures, and its sandbox-account twin (`/ams/sandbox/api/` paths).
    static let clientID = "5YEF9Z2ZSHROFF01"
    static let sandboxClientID = "SANDBOX_5YEF9Z2ZSHROFF01"
    static let notifyURL = "https://gateway.example.com/provider/ams/notify"

    /// Quiet unless `SHROFF_TEST_LOG` is set (an unverifiable answer is logged as an error on purpose).
    static let logger: Logger = {
        var logger = Logger(label: "protocol-fixtures")
        logger.logLevel = ProcessInfo.processInfo.environment["SHROFF_TEST_LOG"] == nil ? .critical : .debug
        return logger
    }()
}

/// One recorded signed message: `<name>/message.json`, `<name>/body.json` (the exact bytes sent) and
/// `<name>/content.txt` (the exact bytes signed).
struct SignedMessage: Sendable, CustomTestStringConvertible {
    private struct Manifest: Decodable {
        var path: String
        var signedBy: String
        var clientId: String
        var time: String
        var signature: String
        var headers: [[String]]
    }

    let name: String
    let path: String
    let signer: Fixture.Party
    let clientID: String
    /// `request-time` or `response-time`.
    let time: String
    /// The expected `Signature` header value.
    let signature: String
    /// As recorded on the wire, in order and case.
    let headers: [(name: String, value: String)]
    let body: [UInt8]
    let content: [UInt8]

    static let names = ["signed_pay_request", "signed_pay_response", "notify_payment"]

    static func load(_ name: String) throws -> SignedMessage {
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(Fixture.bytes("\(name)/message.json")))
        return SignedMessage(
            name: name, path: manifest.path, signer: try #require(Fixture.Party(rawValue: manifest.signedBy)),
            clientID: manifest.clientId, time: manifest.time, signature: manifest.signature,
            headers: try manifest.headers.map { pair in
                try #require(pair.count == 2, "header entry \(pair) of \(name)")
                return (pair[0], pair[1])
            },
            body: try Fixture.bytes("\(name)/body.json"), content: try Fixture.bytes("\(name)/content.txt")
        )
    }

    /// Header lookup ignoring case, as HTTP/1.1 defines names.
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var testDescription: String { name }
}

/// A third reading of the AMS signature, kept deliberately small and strict, so the tests do not
/// judge the client's or the sandbox's code by itself: exactly `algorithm=RSA256,keyVersion=1,signature=<v>`,
/// where `v` is standard base64 with `+`, `/`, `=` written `%2B`, `%2F`, `%3D`.
enum IndependentVerifier {
    static let prefix = "algorithm=RSA256,keyVersion=1,signature="

    /// The raw signature bytes if `header` is well formed, URL-encoded and free of raw `+ / =`.
    static func signatureBytes(_ header: String) -> [UInt8]? {
        guard header.hasPrefix(prefix) else { return nil }
        let encoded = header.dropFirst(prefix.count)
        guard !encoded.contains("+"), !encoded.contains("/"), !encoded.contains("=") else { return nil }
        let base64 = encoded
            .replacingOccurrences(of: "%2B", with: "+")
            .replacingOccurrences(of: "%2F", with: "/")
            .replacingOccurrences(of: "%3D", with: "=")
        guard !base64.contains("%"), let raw = Data(base64Encoded: base64) else { return nil }
        return Array(raw)
    }

    static func verify(header: String, path: String, clientID: String, time: String, body: [UInt8], publicKeyPEM: String) throws -> Bool {
        guard let raw = signatureBytes(header) else { return false }
        let key = try _RSA.Signing.PublicKey(pemRepresentation: publicKeyPEM)
        let content = Array("POST \(path)\n\(clientID).\(time).".utf8) + body
        return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: raw), for: content, padding: .insecurePKCS1v1_5)
    }
}

extension JSONValue {
    subscript(_ key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var objectKeys: Set<String> {
        if case .object(let fields) = self { return Set(fields.keys) }
        return []
    }

    /// A copy with `key` of the top-level object (or of a nested object, by path) set to `value`.
    func setting(_ path: [String], to value: JSONValue?) -> JSONValue {
        guard case .object(var fields) = self, let first = path.first else { return self }
        if path.count == 1 {
            fields[first] = value
        } else {
            fields[first] = (fields[first] ?? .object([:])).setting(Array(path.dropFirst()), to: value)
        }
        return .object(fields)
    }
}

/// Byte-exact comparison (a String comparison would equate canonically equivalent texts), reported as text.
func expectSameBytes(_ actual: [UInt8], _ expected: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
    let same = actual == expected
    #expect(same, """
        bytes differ (\(actual.count) vs \(expected.count) bytes)
          got: \(String(decoding: actual, as: UTF8.self).debugDescription)
         want: \(String(decoding: expected, as: UTF8.self).debugDescription)
        """, sourceLocation: sourceLocation)
}

/// `body` with the byte at `index` changed to another printable character.
func alteringOneByte(of body: [UInt8], at index: Int) -> [UInt8] {
    var altered = body
    altered[index] = altered[index] == UInt8(ascii: "9") ? UInt8(ascii: "8") : UInt8(ascii: "9")
    return altered
}

/// Byte positions worth altering in a fixture body: the first, the last, and the first digit of the
/// payment amount's value.
func alterationPositions(in body: [UInt8]) -> [Int] {
    var positions = [0, body.count - 1]
    let marker = Array(#""value":""#.utf8)
    if let start = body.indices.first(where: { body[$0...].starts(with: marker) }) {
        positions.append(start + marker.count)
    }
    return positions
}

/// A payment intent shaped like the fixtures' (seed 000 cashier / seed 001 order code).
enum FixtureIntent {
    /// 2024-07-02T12:00:00+08:00
    static let createTime = Date(timeIntervalSince1970: 1_719_892_800)
    /// 2099-07-02T12:15:00+08:00
    static let expiresAt = Date(timeIntervalSince1970: 4_086_648_900)
    static let timestamps = TimestampFormat(utcOffsetSeconds: 8 * 3600)

    static func cashier(
        orderID: String = "ord_20240702120000_0001", amount: Money = Money(minorUnits: 100, currency: Currency(code: "USD")!),
        expiresAt: Date = expiresAt
    ) -> PaymentIntent {
        PaymentIntent(
            orderID: orderID, merchantUID: 42, merchantOrderID: "M-1001", amount: amount,
            description: "Café latte ×2 咖啡", notifyURL: "https://shop.example.com/notify",
            returnURL: "https://shop.example.com/return?order=M-1001",
            method: PaymentMethodSpec(
                channel: .aplus, flow: .cashier, wallet: "ALIPAY_HK", presentmentMode: "UNIFIED",
                terminalType: "WEB", settlementCurrency: amount.currency.code
            ),
            createTime: createTime, expiresAt: expiresAt, requestFingerprint: "fixture"
        )
    }

    static func orderCode(orderID: String = "ord_20240702120000_0002", createTime: Date = createTime, expiresAt: Date = expiresAt) -> PaymentIntent {
        PaymentIntent(
            orderID: orderID, merchantUID: 42, merchantOrderID: "M-1002",
            amount: Money(minorUnits: 1050, currency: Currency(code: "HKD")!), description: "Table 7",
            notifyURL: "https://shop.example.com/notify", returnURL: nil,
            method: PaymentMethodSpec(channel: .alipayhk, flow: .csbQRCode, wallet: "ALIPAYHK"),
            createTime: createTime, expiresAt: expiresAt, requestFingerprint: "fixture"
        )
    }
}
