import Foundation
@testable import ShroffConnectors
@testable import ShroffSandbox
import Testing
import _CryptoExtras

/// providers.md §2 "Signing": the sandbox's `WAPSigning`, the tests' own signer and the gateway's
/// `WAPSignature`, each checked against the python/openssl-recorded fixtures of `Fixtures/wap/`.
@Suite("WAP signature fixtures")
struct WAPSignatureFixtureTests {
    static let names = ["create_request", "notification"]

    /// Who signs the RSA2 fixture: the partner its request, the provider its notification.
    static func rsaSigner(_ name: String) -> Fixture.Party { name == "create_request" ? .merchant : .provider }

    @Test("the content rule, exactly: raw values, ASCII key order, empty values and sign/sign_type left out", arguments: names)
    func content(_ name: String) throws {
        let parameters = try WAPFixture.parameters(name)
        expectSameBytes(Array(WAPSigning.content(parameters).utf8), try WAPFixture.content(name))
        expectSameBytes(Array(TestWAPSigner.content(parameters).utf8), try WAPFixture.content(name))
        expectSameBytes(Array(WAPSignature.content(parameters).utf8), try WAPFixture.content(name))
        // sign and sign_type never take part.
        var signed = parameters
        signed["sign"] = "x"
        signed["sign_type"] = "MD5"
        expectSameBytes(Array(WAPSigning.content(signed).utf8), try WAPFixture.content(name))
    }

    @Test("the recorded create request shows the rule's edge cases")
    func fixtureEdgeCases() throws {
        let content = String(decoding: try WAPFixture.content("create_request"), as: UTF8.self)
        #expect(content.hasPrefix("_input_charset=UTF-8&body="))  // '_' (0x5F) sorts before lowercase letters
        #expect(content.contains("body=2 cups & 1 cake = 1+1 items&"))  // raw, not URL-encoded
        #expect(content.contains("subject=Café latte ×2 咖啡"))
        #expect(!content.contains("timeout_rule"))  // empty value left out
        #expect(try WAPFixture.parameters("create_request")["timeout_rule"] == "")
    }

    @Test("MD5: lowercase hex of MD5(content + key), as python/openssl recorded it", arguments: names)
    func md5(_ name: String) throws {
        let parameters = try WAPFixture.parameters(name)
        let recorded = try WAPFixture.sign(name, "MD5")
        #expect(recorded.count == 32 && recorded == recorded.lowercased())
        let key = try WAPFixture.md5Key()
        #expect(WAPSigning.md5Sign(parameters, key: key) == recorded)
        #expect(TestWAPSigner.md5(parameters, key: key) == recorded)
        #expect(try WAPSignature.sign(parameters, with: .md5(key: key)) == recorded)
        #expect(WAPSigning.md5Verify(parameters, sign: recorded, key: key))
        #expect(WAPSigning.md5Verify(parameters, sign: recorded.uppercased(), key: key))
        #expect(!WAPSigning.md5Verify(parameters, sign: recorded, key: key + "x"))
    }

    @Test("RSA2: base64 SHA256withRSA (PKCS#1 v1.5), as openssl recorded it", arguments: names)
    func rsa2(_ name: String) throws {
        let parameters = try WAPFixture.parameters(name)
        let recorded = try WAPFixture.sign(name, "RSA2")
        let signer = Self.rsaSigner(name)
        let privateKey = try _RSA.Signing.PrivateKey(pemRepresentation: signer.privateKeyPEM())
        #expect(try WAPSigning.rsa2Sign(parameters, key: privateKey) == recorded)
        #expect(try TestWAPSigner.rsa2(parameters, key: privateKey) == recorded)
        let publicKey = try _RSA.Signing.PublicKey(pemRepresentation: signer.publicKeyPEM())
        let otherKey = try _RSA.Signing.PublicKey(pemRepresentation: signer.other.publicKeyPEM())
        #expect(WAPSigning.rsa2Verify(parameters, sign: recorded, key: publicKey))
        #expect(!WAPSigning.rsa2Verify(parameters, sign: recorded, key: otherKey))
    }

    @Test("an altered value, an added parameter or a dropped one breaks both signs", arguments: names)
    func alterations(_ name: String) throws {
        let parameters = try WAPFixture.parameters(name)
        let key = try WAPFixture.md5Key()
        let md5 = try WAPFixture.sign(name, "MD5")
        let rsa2 = try WAPFixture.sign(name, "RSA2")
        let publicKey = try _RSA.Signing.PublicKey(pemRepresentation: Self.rsaSigner(name).publicKeyPEM())
        var variants: [[String: String]] = []
        var changed = parameters
        changed["total_fee"] = "10.51"
        variants.append(changed)
        var added = parameters
        added["extra"] = "1"
        variants.append(added)
        var dropped = parameters
        dropped["out_trade_no"] = nil
        variants.append(dropped)
        for variant in variants {
            #expect(!WAPSigning.md5Verify(variant, sign: md5, key: key))
            #expect(!WAPSigning.rsa2Verify(variant, sign: rsa2, key: publicKey))
        }
        // An added parameter with an empty value does not count.
        var empty = parameters
        empty["extra"] = ""
        #expect(WAPSigning.md5Verify(empty, sign: md5, key: key))
    }

    @Test("the gateway's connector accepts the sandbox-shaped notification fixture for both sign types")
    func connectorAcceptsNotification() throws {
        var parameters = try WAPFixture.parameters("notification")
        let md5Type = WAPSignType.md5(key: try WAPFixture.md5Key())
        let rsaType = WAPSignType.rsa2(
            merchantPrivateKey: try Fixture.Party.merchant.privateKey(), providerPublicKey: try Fixture.Party.provider.publicKey()
        )
        parameters["sign_type"] = "MD5"
        parameters["sign"] = try WAPFixture.sign("notification", "MD5")
        #expect(WAPSignature.verify(parameters, with: md5Type))
        parameters["sign_type"] = "RSA2"
        parameters["sign"] = try WAPFixture.sign("notification", "RSA2")
        #expect(WAPSignature.verify(parameters, with: rsaType))
        parameters["total_fee"] = "0.01"
        #expect(!WAPSignature.verify(parameters, with: rsaType))
    }

    @Test("form encoding round-trips raw values, and + in a query is a space")
    func formEncoding() throws {
        let parameters = try WAPFixture.parameters("create_request")
        let encoded = WAPSigning.encodeForm(parameters)
        #expect(!encoded.contains(" ") && !encoded.contains("+"))
        #expect(WAPSigning.parseForm(Substring(encoded))?.fields == parameters)
        #expect(WAPSigning.parseForm("a=1+2%2B3&b=")?.fields == ["a": "1 2+3", "b": ""])
        #expect(WAPSigning.parseForm("a=1&a=2")?.duplicate == "a")
        #expect(WAPSigning.parseForm("a=%E4%B8") == nil)
    }

    @Test("amounts: major units with the currency's decimals")
    func amounts() {
        #expect(WAPMoney.minorUnits("10.50", currency: "HKD") == 1050)
        #expect(WAPMoney.minorUnits("10.5", currency: "HKD") == 1050)
        #expect(WAPMoney.minorUnits("10", currency: "HKD") == 1000)
        #expect(WAPMoney.minorUnits("1050", currency: "JPY") == 1050)
        for bad in ["10.505", "-1", "1e3", ".5", "10.", "", " 1", "1,00"] {
            #expect(WAPMoney.minorUnits(bad, currency: "HKD") == nil, "\(bad)")
        }
        #expect(WAPMoney.minorUnits("10.5", currency: "JPY") == nil)
        #expect(WAPMoney.minorUnits("10", currency: "XXX") == nil)
        #expect(WAPMoney.text(1050, currency: "HKD") == "10.50")
        #expect(WAPMoney.text(5, currency: "USD") == "0.05")
        #expect(WAPMoney.text(5051, currency: "KRW") == "5051")
    }
}
