import Crypto
import Foundation
import ShroffClient
import Testing

/// The Standard Webhooks test vector (standardwebhooks.com reference libraries' tests) and
/// behaviour around it.
@Suite("WebhookVerifier")
struct WebhookVerifierTests {
    // From the Standard Webhooks reference implementations' test suites.
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp: Int64 = 1614265330
    static let body = Data(#"{"test": 2432232314}"#.utf8)
    static let signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    static let now = Date(timeIntervalSince1970: TimeInterval(timestamp))

    func headers(signature: String = Self.signature, timestamp: Int64 = Self.timestamp) -> [String: String] {
        ["webhook-id": Self.id, "webhook-timestamp": String(timestamp), "webhook-signature": signature]
    }

    @Test func referenceVectorVerifies() throws {
        let event = try WebhookVerifier(secret: Self.secret).verify(body: Self.body, headers: headers(), now: Self.now)
        #expect(event.id == Self.id)
    }

    @Test func headerNamesAreCaseInsensitive() throws {
        let upper = Dictionary(uniqueKeysWithValues: headers().map { ($0.key.uppercased(), $0.value) })
        #expect(throws: Never.self) { try WebhookVerifier(secret: Self.secret).verify(body: Self.body, headers: upper, now: Self.now) }
    }

    @Test func alteredBodyIsRefused() throws {
        #expect(throws: WebhookVerifier.Failure.noMatchingSignature) {
            try WebhookVerifier(secret: Self.secret).verify(body: Data(#"{"test": 2432232315}"#.utf8), headers: headers(), now: Self.now)
        }
    }

    @Test func otherSecretIsRefused() throws {
        let other = "whsec_" + Data(repeating: 7, count: 32).base64EncodedString()
        #expect(throws: WebhookVerifier.Failure.noMatchingSignature) {
            try WebhookVerifier(secret: other).verify(body: Self.body, headers: headers(), now: Self.now)
        }
    }

    @Test func anyOfSeveralSignaturesMayMatch() throws {
        let rotated = "v1,Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA== \(Self.signature)"
        #expect(throws: Never.self) {
            try WebhookVerifier(secret: Self.secret).verify(body: Self.body, headers: headers(signature: rotated), now: Self.now)
        }
    }

    @Test func oldOrFutureTimestampIsRefused() throws {
        let verifier = try WebhookVerifier(secret: Self.secret)
        #expect(throws: WebhookVerifier.Failure.timestampOutOfTolerance) {
            try verifier.verify(body: Self.body, headers: headers(), now: Self.now.addingTimeInterval(301))
        }
        #expect(throws: WebhookVerifier.Failure.timestampOutOfTolerance) {
            try verifier.verify(body: Self.body, headers: headers(), now: Self.now.addingTimeInterval(-301))
        }
    }

    @Test func missingHeadersAreNamed() throws {
        let verifier = try WebhookVerifier(secret: Self.secret)
        for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
            var partial = headers()
            partial[name] = nil
            #expect(throws: WebhookVerifier.Failure.missingHeader(name)) {
                try verifier.verify(body: Self.body, headers: partial, now: Self.now)
            }
        }
    }

    @Test func unsupportedVersionIsIgnored() throws {
        let v2 = Self.signature.replacingOccurrences(of: "v1,", with: "v2,")
        #expect(throws: WebhookVerifier.Failure.noMatchingSignature) {
            try WebhookVerifier(secret: Self.secret).verify(body: Self.body, headers: headers(signature: v2), now: Self.now)
        }
    }

    @Test func invalidSecretIsRefusedWithoutEchoingIt() {
        do {
            _ = try WebhookVerifier(secret: "whsec_***not-base64***")
            Issue.record("accepted an invalid secret")
        } catch {
            #expect(!"\(error)".contains("not-base64"))
        }
    }
}
