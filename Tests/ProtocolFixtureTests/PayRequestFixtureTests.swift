import Foundation
import Logging
@testable import ShroffConnectors
import ShroffCore
@testable import ShroffSandbox
import Testing

/// providers.md §1 "Messages": the pay request the client builds, against the recorded bodies.
@Suite("AMS pay request fixtures")
struct PayRequestFixtureTests {
    static func client(clientID: String = Fixture.clientID, baseURL: String = "https://open-sea-global.alipay.com") throws -> AMSClient {
        AMSClient(
            configuration: AMSConfiguration(
                baseURL: baseURL, clientID: clientID, merchantPrivateKey: try Fixture.Party.merchant.privateKey(),
                providerPublicKey: try Fixture.Party.provider.publicKey(), notifyURL: Fixture.notifyURL
            ),
            timestamps: FixtureIntent.timestamps, logger: Fixture.logger
        )
    }

    /// The body as the client encodes it for the wire (`AMSClient.call`: JSONEncoder, unescaped slashes).
    static func encodedPayRequest(_ intent: PaymentIntent, client: AMSClient? = nil) throws -> JSONValue {
        let client = try client ?? Self.client()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let bytes = try encoder.encode(client.payRequest(ProviderPaymentRequest(intent: intent, merchantName: "Test shop")))
        return try JSONDecoder().decode(JSONValue.self, from: bytes)
    }

    @Test("a cashier pay request is the recorded CASHIER_PAYMENT body")
    func cashier() throws {
        let produced = try Self.encodedPayRequest(FixtureIntent.cashier())
        let recorded = try Fixture.json("pay_request_cashier.json")
        #expect(produced == recorded)
        // The fields the issue names, spelled out so a failure says which one drifted.
        #expect(produced["productCode"] == .string("CASHIER_PAYMENT"))
        #expect(produced["paymentRequestId"] == .string("ord_20240702120000_0001"))
        #expect(produced["paymentAmount"] == .object(["currency": .string("USD"), "value": .string("100")]))
        #expect(produced["order"]?["orderAmount"] == .object(["currency": .string("USD"), "value": .string("100")]))
        #expect(produced["order"]?["env"] == .object(["terminalType": .string("WEB")]))
        #expect(produced["paymentFactor"]?["presentmentMode"] == .string("UNIFIED"))
        #expect(produced["settlementStrategy"] == .object(["settlementCurrency": .string("USD")]))
        #expect(produced["paymentNotifyUrl"] == .string(Fixture.notifyURL))
        #expect(produced["paymentRedirectUrl"] == .string("https://shop.example.com/return?order=M-1001"))
        #expect(produced["paymentExpiryTime"] == .string("2099-07-02T12:15:00.000+08:00"))
    }

    @Test("an order-code pay request is the recorded IN_STORE_PAYMENT / OrderCode body")
    func orderCode() throws {
        let produced = try Self.encodedPayRequest(FixtureIntent.orderCode())
        let recorded = try Fixture.json("pay_request_order_code.json")
        #expect(produced == recorded)
        #expect(produced["productCode"] == .string("IN_STORE_PAYMENT"))
        #expect(produced["paymentFactor"] == .object(["inStorePaymentScenario": .string("OrderCode")]))
        #expect(produced["paymentMethod"] == .object(["paymentMethodType": .string("ALIPAY_HK")]))
        #expect(produced["paymentAmount"] == .object(["currency": .string("HKD"), "value": .string("1050")]))
        // Seed 002: store terminal fields are required for order-code payments, the time to the millisecond.
        #expect(produced["order"]?["env"]?["storeTerminalRequestTime"] == .string("2024-07-02T12:00:00.000+08:00"))
        #expect(produced["order"]?["env"]?["storeTerminalId"]?.stringValue?.isEmpty == false)
        #expect(produced["order"]?["merchant"]?["store"] != nil)
        #expect(produced["paymentRedirectUrl"] == nil)
        #expect(produced["settlementStrategy"] == nil)
    }

    @Test("a non-WEB cashier terminal sends its osType")
    func appTerminal() throws {
        var intent = FixtureIntent.cashier()
        intent.method.terminalType = "APP"
        intent.method.osType = "IOS"
        let produced = try Self.encodedPayRequest(intent)
        #expect(produced["order"]?["env"] == .object(["terminalType": .string("APP"), "osType": .string("IOS")]))
    }

    @Test("amounts are minor units as a string", arguments: [
        ("1", "USD", "100"), ("50000", "KRW", "50000"), ("1.234", "BHD", "1234"), ("10.5", "HKD", "1050"), ("0.01", "USD", "1"),
    ])
    func minorUnits(_ major: String, _ currency: String, _ expected: String) throws {
        let amount = try Money.parse(major, currency: try #require(Currency(code: currency)))
        let produced = try Self.encodedPayRequest(FixtureIntent.cashier(amount: amount))
        let wire = JSONValue.object(["currency": .string(currency), "value": .string(expected)])
        #expect(produced["paymentAmount"] == wire)
        #expect(produced["order"]?["orderAmount"] == wire)
    }

    @Test("sandbox accounts use /ams/sandbox/api/, others /ams/api/")
    func paths() throws {
        #expect(try Self.client().configuration.path("pay") == "/ams/api/v1/payments/pay")
        #expect(try Self.client().configuration.path("inquiryPayment") == "/ams/api/v1/payments/inquiryPayment")
        #expect(try Self.client(clientID: Fixture.sandboxClientID).configuration.path("pay") == "/ams/sandbox/api/v1/payments/pay")
        #expect(try Self.client(clientID: Fixture.sandboxClientID).configuration.path("inquiryPayment") == "/ams/sandbox/api/v1/payments/inquiryPayment")
    }

    @Test("a received Amount may carry its value as a JSON number")
    func amountAsNumber() throws {
        let client = try JSONDecoder().decode(AMSAmount.self, from: Data(#"{"currency":"KRW","value":50000}"#.utf8))
        #expect(client == AMSAmount(currency: "KRW", value: "50000"))
        for (text, expected) in [(#"{"value":"1050"}"#, Int64(1050)), (#"{"value":1050}"#, 1050)] {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(SandboxProvider.minorUnits(json["value"]) == expected, "\(text)")
        }
        for text in [#"{"value":"10.50"}"#, #"{"value":"-1"}"#, #"{"value":"1e3"}"#, #"{"value":10.5}"#] {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(SandboxProvider.minorUnits(json["value"]) == nil, "\(text)")
        }
    }
}
