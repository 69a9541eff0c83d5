import Foundation
@testable import ShroffConnectors
import ShroffCore
@testable import ShroffSandbox
import Testing
import _CryptoExtras

/// providers.md §1 "Signing": the client's `AMSSignature` and the sandbox's `ProviderSigning`, each
/// checked against the openssl-recorded messages, and against each other in both directions.
@Suite("AMS signature fixtures")
struct SignatureFixtureTests {
    // MARK: The fixtures themselves

    @Test("the fixtures are what providers.md describes", arguments: SignedMessage.names)
    func fixturesFollowTheSpec(_ name: String) throws {
        let message = try SignedMessage.load(name)
        expectSameBytes(message.content, Array("POST \(message.path)\n\(message.clientID).\(message.time).".utf8) + message.body)
        #expect(message.header("signature") == message.signature)
        #expect(message.header("client-id") == message.clientID)
        #expect(message.header("content-type") == "application/json; charset=UTF-8")
        // The recorded signature really is the signer's (checked here by a third implementation).
        let bySigner = try IndependentVerifier.verify(
            header: message.signature, path: message.path, clientID: message.clientID, time: message.time,
            body: message.body, publicKeyPEM: message.signer.publicKeyPEM()
        )
        let byOther = try IndependentVerifier.verify(
            header: message.signature, path: message.path, clientID: message.clientID, time: message.time,
            body: message.body, publicKeyPEM: message.signer.other.publicKeyPEM()
        )
        #expect(bySigner && !byOther)
    }

    @Test("answers carry lowercase client-id / response-time / signature; requests a request-time")
    func headerNamesOfTheRecordedMessages() throws {
        let response = try SignedMessage.load("signed_pay_response")
        #expect(response.headers.map(\.name) == ["content-type", "client-id", "response-time", "signature"])
        #expect(response.header("response-time") == response.time)
        let request = try SignedMessage.load("signed_pay_request")
        #expect(request.header("request-time") == request.time)
        let notification = try SignedMessage.load("notify_payment")
        #expect(notification.header("request-time") == notification.time)
    }

    // MARK: Content and header, exactly

    @Test("AMSSignature.content is exactly the recorded content", arguments: SignedMessage.names)
    func clientContent(_ name: String) throws {
        let message = try SignedMessage.load(name)
        let content = AMSSignature.content(path: message.path, clientID: message.clientID, time: message.time, body: message.body)
        expectSameBytes(Array(content), message.content)
    }

    @Test("ProviderSigning.message is exactly the recorded content", arguments: SignedMessage.names)
    func sandboxContent(_ name: String) throws {
        let message = try SignedMessage.load(name)
        expectSameBytes(ProviderSigning.message(path: message.path, clientID: message.clientID, time: message.time, body: message.body), message.content)
    }

    @Test("AMSSignature.header is exactly the recorded Signature header", arguments: SignedMessage.names)
    func clientHeader(_ name: String) throws {
        let message = try SignedMessage.load(name)
        let header = try AMSSignature.header(
            signing: message.body, path: message.path, clientID: message.clientID, time: message.time,
            with: message.signer.privateKey()
        )
        #expect(header == message.signature)
        try expectURLEncoded(header)
    }

    @Test("ProviderSigning.signatureHeader is exactly the recorded Signature header", arguments: SignedMessage.names)
    func sandboxHeader(_ name: String) throws {
        let message = try SignedMessage.load(name)
        let signing = ProviderSigning(providerKey: try _RSA.Signing.PrivateKey(pemRepresentation: message.signer.privateKeyPEM()))
        let header = try signing.signatureHeader(path: message.path, clientID: message.clientID, time: message.time, body: message.body)
        #expect(header == message.signature)
        try expectURLEncoded(header)
    }

    private func expectURLEncoded(_ header: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let value = try #require(header.components(separatedBy: "signature=").last, sourceLocation: sourceLocation)
        #expect(header.hasPrefix("algorithm=RSA256,keyVersion=1,signature="), sourceLocation: sourceLocation)
        #expect(!value.contains("+") && !value.contains("/") && !value.contains("="), "raw base64 characters in \(value)", sourceLocation: sourceLocation)
        // A 256-byte signature is 344 base64 characters ending in "==".
        #expect(value.hasSuffix("%3D%3D"), sourceLocation: sourceLocation)
        #expect(value.contains("%2B") || value.contains("%2F"), sourceLocation: sourceLocation)
        #expect(IndependentVerifier.signatureBytes(header)?.count == 256, sourceLocation: sourceLocation)
    }

    // MARK: Verification: accept the record, reject any change

    /// One way of disturbing a recorded message after it was signed.
    enum Tampering: String, CaseIterable, Sendable {
        case none, otherPath, otherTime, otherClientID, wrongKey

        func apply(_ message: SignedMessage) -> (path: String, time: String, clientID: String, key: Fixture.Party) {
            switch self {
            case .none: (message.path, message.time, message.clientID, message.signer)
            case .otherPath:
                // The sandbox-account twin of an AMS path; any other path with one more character.
                (message.path.contains("/ams/api/")
                    ? message.path.replacingOccurrences(of: "/ams/api/", with: "/ams/sandbox/api/") : message.path + "2",
                 message.time, message.clientID, message.signer)
            case .otherTime:
                // The last digit changed: one millisecond, or one minute of the ISO 8601 offset.
                (message.path, String(message.time.dropLast()) + (message.time.hasSuffix("0") ? "1" : "0"), message.clientID, message.signer)
            case .otherClientID: (message.path, message.time, "SANDBOX_" + message.clientID, message.signer)
            case .wrongKey: (message.path, message.time, message.clientID, message.signer.other)
            }
        }
    }

    static let tamperingCases: [(String, Tampering)] = SignedMessage.names.flatMap { name in Tampering.allCases.map { (name, $0) } }

    @Test("AMSSignature.verify accepts the record and rejects a changed path, time, client id or key", arguments: tamperingCases)
    func clientVerifies(_ name: String, _ tampering: Tampering) throws {
        let message = try SignedMessage.load(name)
        let (path, time, clientID, key) = tampering.apply(message)
        let valid = AMSSignature.verify(
            header: message.signature, body: message.body, path: path, clientID: clientID, time: time, with: try key.publicKey()
        )
        #expect(valid == (tampering == .none))
    }

    @Test("ProviderSigning.isValid accepts the record and rejects a changed path, time, client id or key", arguments: tamperingCases)
    func sandboxVerifies(_ name: String, _ tampering: Tampering) throws {
        let message = try SignedMessage.load(name)
        let (path, time, clientID, key) = tampering.apply(message)
        let publicKey = try #require(SandboxRSAKeys.publicKey(try key.publicKeyPEM()))
        let valid = ProviderSigning.isValid(header: message.signature, path: path, clientID: clientID, time: time, body: message.body, key: publicKey)
        #expect(valid == (tampering == .none))
    }

    @Test("both verifiers reject the body altered by one byte after signing", arguments: SignedMessage.names)
    func alteredBody(_ name: String) throws {
        let message = try SignedMessage.load(name)
        let clientKey = try message.signer.publicKey()
        let sandboxKey = try #require(SandboxRSAKeys.publicKey(try message.signer.publicKeyPEM()))
        let positions = alterationPositions(in: message.body)
        #expect(positions.count == 3)
        for index in positions {
            let altered = alteringOneByte(of: message.body, at: index)
            #expect(altered.count == message.body.count && altered[index] != message.body[index])
            let clientAccepts = AMSSignature.verify(
                header: message.signature, body: altered, path: message.path, clientID: message.clientID, time: message.time, with: clientKey
            )
            #expect(!clientAccepts, "client accepted byte \(index) altered")
            let sandboxAccepts = ProviderSigning.isValid(
                header: message.signature, path: message.path, clientID: message.clientID, time: message.time, body: altered, key: sandboxKey
            )
            #expect(!sandboxAccepts, "sandbox accepted byte \(index) altered")
            let independentAccepts = try IndependentVerifier.verify(
                header: message.signature, path: message.path, clientID: message.clientID, time: message.time, body: altered,
                publicKeyPEM: message.signer.publicKeyPEM()
            )
            #expect(!independentAccepts, "test verifier accepted byte \(index) altered")
        }
    }

    @Test("both verifiers accept optional spaces after the commas", arguments: SignedMessage.names)
    func spacesAfterCommas(_ name: String) throws {
        let message = try SignedMessage.load(name)
        let spaced = message.signature.replacingOccurrences(of: ",", with: ", ")
        #expect(spaced != message.signature)
        let clientAccepts = AMSSignature.verify(
            header: spaced, body: message.body, path: message.path, clientID: message.clientID, time: message.time,
            with: try message.signer.publicKey()
        )
        let sandboxAccepts = ProviderSigning.isValid(
            header: spaced, path: message.path, clientID: message.clientID, time: message.time, body: message.body,
            key: try #require(SandboxRSAKeys.publicKey(try message.signer.publicKeyPEM()))
        )
        #expect(clientAccepts, "client")
        #expect(sandboxAccepts, "sandbox")
    }

    // MARK: Cross-checks: one side signs, the other verifies

    @Test("the sandbox verifies what the client signs, and rejects it altered")
    func clientToSandbox() throws {
        let message = try SignedMessage.load("signed_pay_request")
        let header = try AMSSignature.header(
            signing: message.body, path: message.path, clientID: message.clientID, time: message.time, with: Fixture.Party.merchant.privateKey()
        )
        let key = try #require(SandboxRSAKeys.publicKey(try Fixture.Party.merchant.publicKeyPEM()))
        let accepted = ProviderSigning.isValid(header: header, path: message.path, clientID: message.clientID, time: message.time, body: message.body, key: key)
        let altered = alteringOneByte(of: message.body, at: alterationPositions(in: message.body)[2])
        let acceptedAltered = ProviderSigning.isValid(header: header, path: message.path, clientID: message.clientID, time: message.time, body: altered, key: key)
        #expect(accepted, "sandbox refused the client's signature")
        #expect(!acceptedAltered, "sandbox accepted the altered body")
    }

    @Test("the client verifies what the sandbox signs (answers and notifications), and rejects it altered",
          arguments: ["signed_pay_response", "notify_payment"])
    func sandboxToClient(_ name: String) throws {
        let message = try SignedMessage.load(name)
        let signing = ProviderSigning(providerKey: try _RSA.Signing.PrivateKey(pemRepresentation: Fixture.Party.provider.privateKeyPEM()))
        let header = try signing.signatureHeader(path: message.path, clientID: message.clientID, time: message.time, body: message.body)
        let key = try Fixture.Party.provider.publicKey()
        let accepted = AMSSignature.verify(header: header, body: message.body, path: message.path, clientID: message.clientID, time: message.time, with: key)
        let altered = alteringOneByte(of: message.body, at: alterationPositions(in: message.body)[2])
        let acceptedAltered = AMSSignature.verify(header: header, body: altered, path: message.path, clientID: message.clientID, time: message.time, with: key)
        #expect(accepted, "client refused the sandbox's signature")
        #expect(!acceptedAltered, "client accepted the altered body")
    }

    @Test("keys are read as base64 PKCS#8 / X.509 with or without PEM armour")
    func keysWithoutArmour() throws {
        let message = try SignedMessage.load("signed_pay_request")
        func bare(_ pem: String) -> String {
            pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        }
        let privateKey = try RSAKeyText.privateKey(bare(Fixture.Party.merchant.privateKeyPEM()), role: "merchant")
        let header = try AMSSignature.header(
            signing: message.body, path: message.path, clientID: message.clientID, time: message.time, with: privateKey
        )
        #expect(header == message.signature)
        let bareKey = try bare(Fixture.Party.merchant.publicKeyPEM())
        let clientKey = try RSAKeyText.publicKey(bareKey, role: "merchant")
        let clientAccepts = AMSSignature.verify(header: header, body: message.body, path: message.path, clientID: message.clientID, time: message.time, with: clientKey)
        let sandboxKey = try #require(SandboxRSAKeys.publicKey(bareKey))
        let sandboxAccepts = ProviderSigning.isValid(header: header, path: message.path, clientID: message.clientID, time: message.time, body: message.body, key: sandboxKey)
        #expect(clientAccepts, "client")
        #expect(sandboxAccepts, "sandbox")
    }

    // MARK: notifyPayment

    @Test("the client's notification receiver accepts the recorded notifyPayment")
    func receiverAcceptsRecordedNotification() throws {
        let message = try SignedMessage.load("notify_payment")
        let receiver = AMSNotificationReceiver(providerPublicKey: try Fixture.Party.provider.publicKey(), clientID: Fixture.clientID)
        let report = try receiver.paymentReport(header: message.header, path: message.path, body: message.body)
        #expect(report.orderID == "ord_20240702120000_0001")
        #expect(report.reportedAmount == AMSAmount(currency: "USD", value: "100"))
        #expect(report.event == .providerSucceeded(
            payTime: Date(timeIntervalSince1970: 1_719_892_950), wallet: "ALIPAY_HK", settleCurrency: "USD"
        ))
    }

    @Test("the client's notification receiver rejects the notifyPayment altered, re-pathed or signed by another key")
    func receiverRejectsTampering() throws {
        let message = try SignedMessage.load("notify_payment")
        let receiver = AMSNotificationReceiver(providerPublicKey: try Fixture.Party.provider.publicKey(), clientID: Fixture.clientID)
        for index in alterationPositions(in: message.body) {
            #expect(throws: AMSNotificationReceiver.Rejection.badSignature) {
                try receiver.paymentReport(header: message.header, path: message.path, body: alteringOneByte(of: message.body, at: index))
            }
        }
        #expect(throws: AMSNotificationReceiver.Rejection.badSignature) {
            try receiver.paymentReport(header: message.header, path: "/provider/ams/notify2", body: message.body)
        }
        let impostor = AMSNotificationReceiver(providerPublicKey: try Fixture.Party.merchant.publicKey(), clientID: Fixture.clientID)
        #expect(throws: AMSNotificationReceiver.Rejection.badSignature) {
            try impostor.paymentReport(header: message.header, path: message.path, body: message.body)
        }
        #expect(throws: AMSNotificationReceiver.Rejection.missingHeaders) {
            try receiver.paymentReport(header: { $0 == "signature" ? nil : message.header($0) }, path: message.path, body: message.body)
        }
    }

    @Test("the sandbox writes the recorded notifyPayment for the same payment, signed as recorded")
    func sandboxNotificationBody() throws {
        let message = try SignedMessage.load("notify_payment")
        let sandbox = try SandboxProvider(
            configuration: SandboxConfiguration(
                publicBaseURL: "https://sandbox.example.test", providerPrivateKeyPEM: Fixture.Party.provider.privateKeyPEM(),
                clients: [Fixture.clientID: Fixture.Party.merchant.publicKeyPEM()]
            ),
            logger: Fixture.logger
        )
        let payment = SandboxPayment(
            paymentRequestID: "ord_20240702120000_0001", paymentID: "20240702120001000001", clientID: Fixture.clientID,
            productCode: "CASHIER_PAYMENT", currency: "USD", value: 100, requestedWallet: "ALIPAY_HK", presentmentMode: "UNIFIED",
            notifyURL: Fixture.notifyURL, redirectURL: nil, expiresAt: FixtureIntent.expiresAt, settlementCurrency: "USD",
            merchantName: "Test shop", orderDescription: "Café latte ×2 咖啡", createTime: Date(timeIntervalSince1970: 1_719_892_801), status: .success, resultCode: "SUCCESS",
            paymentTime: Date(timeIntervalSince1970: 1_719_892_950), walletUsed: "ALIPAY_HK"
        )
        let body = sandbox.notificationBody(payment)
        let produced = try JSONDecoder().decode(JSONValue.self, from: Data(body))
        #expect(produced == (try Fixture.json("notify_payment/body.json")))
        // Signed with the notify URL's path, the way the notifier does it.
        let path = try #require(URL(string: Fixture.notifyURL)?.path)
        #expect(path == message.path)
        let header = try sandbox.signing.signatureHeader(path: path, clientID: message.clientID, time: message.time, body: message.body)
        #expect(header == message.signature)
    }
}
