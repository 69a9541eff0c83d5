import Crypto
import Foundation
import ShroffCore
import Testing

@testable import ShroffApp

@Suite("Bearer tokens")
struct TokenIssuerTests {
    let key = SymmetricKey(size: .bits256)

    func issuer(now: Date = Date(), lifetime: Int64 = 1800, key: SymmetricKey? = nil) -> TokenIssuer {
        TokenIssuer(key: key ?? self.key, lifetimeSeconds: lifetime, now: { now })
    }

    @Test func issuedTokenVerifies() throws {
        let (token, expiresAt) = try issuer().issue(for: 12009321)
        #expect(try issuer().verify(token).merchantUID == 12009321)
        #expect(abs(expiresAt.timeIntervalSinceNow - 1800) < 5)
    }

    @Test func expiredTokenIsRefused() throws {
        let (token, _) = try issuer(now: Date().addingTimeInterval(-1801)).issue(for: 1)
        #expect(throws: TokenIssuer.Refusal.expired) { try issuer().verify(token) }
    }

    @Test func tokenOfAnotherKeyIsRefused() throws {
        let (token, _) = try issuer(key: SymmetricKey(size: .bits256)).issue(for: 1)
        #expect(throws: TokenIssuer.Refusal.badSignature) { try issuer().verify(token) }
    }

    @Test func changedPayloadIsRefused() throws {
        let (token, _) = try issuer().issue(for: 1)
        let parts = token.split(separator: ".").map(String.init)
        let other = TokenIssuer.Claims(merchantUID: 2, expiresAt: 9_999_999_999, nonce: 7)
        let otherPayload = String(decoding: Base64URL.encode(other.bytes), as: UTF8.self)
        #expect(throws: TokenIssuer.Refusal.badSignature) { try issuer().verify("v2.\(otherPayload).\(parts[2])") }
    }

    @Test func claimsSurviveTheirBytes() {
        let claims = TokenIssuer.Claims(merchantUID: -5, expiresAt: Int64.max, nonce: UInt64.max - 1)
        #expect(TokenIssuer.Claims(bytes: claims.bytes) == claims)
        #expect(TokenIssuer.Claims(bytes: Array(claims.bytes.dropLast())) == nil)
    }

    @Test func base64URLMatchesFoundationsBase64() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 200) }
            let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            let encoded = Base64URL.encode(bytes)
            #expect(String(decoding: encoded, as: UTF8.self) == expected)
            #expect(Base64URL.decode(encoded[...]) == bytes)
        }
    }

    /// Not in the alphabet (standard base64's `+`, padding, a multi-byte character), a length no
    /// encoding has, and non-zero leftover bits (`AB` and `AA` would both mean one zero byte).
    @Test(arguments: ["ab+c", "ab/c", "aa==", "aé", "a", "abcde", "AB"])
    func base64URLRefuses(text: String) {
        #expect(Base64URL.decode(Array(text.utf8)[...]) == nil)
    }

    /// A token of the earlier format (JSON payload) and anything else that is not 79 bytes of the
    /// v2 shape; a combining mark after the dot must not pass as the dot.
    @Test(arguments: [
        "", "v1", "v1.a", "v2.a.b", "v1.!!.??", "a.b.c.d",
        "v1.eyJ1aWQiOjEsImV4cCI6OTk5OTk5OTk5OSwibiI6IngifQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\u{301}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ])
    func malformedTokensAreRefused(token: String) {
        #expect(throws: TokenIssuer.Refusal.self) { try issuer().verify(token) }
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equal(Array("abc".utf8), Array("abc".utf8)))
        #expect(!ConstantTime.equal(Array("abc".utf8), Array("abd".utf8)))
        #expect(!ConstantTime.equal(Array("abc".utf8), Array("abcd".utf8)))
    }
}

@Suite("Rate limiter")
struct RateLimiterTests {
    @Test func burstThenRefusalWithRetryAfter() async throws {
        let limiter = RateLimiter(perSecond: 1, burst: 2)
        try await limiter.admit("m")
        try await limiter.admit("m")
        do {
            try await limiter.admit("m")
            Issue.record("the third call in a burst of 2 was admitted")
        } catch {
            #expect(error.kind == .rateLimited)
            #expect(error.retryAfterSeconds == 1)
        }
        // Another key has its own bucket.
        try await limiter.admit("other")
    }

    @Test("a flood of new keys never grows the map past its capacity")
    func boundedMap() async throws {
        let limiter = RateLimiter(perSecond: 0.001, burst: 5, capacity: 100)
        for index in 0..<5_000 { try await limiter.admit("k\(index)") }
        #expect(await limiter.count <= 100)
        // The most recent keys are kept: the last one has spent its token.
        for _ in 0..<4 { try await limiter.admit("k4999") }
        await #expect(throws: GatewayError.self) { try await limiter.admit("k4999") }
    }

    @Test("failed logins are charged per client id and address; a check alone charges nothing")
    func loginThrottle() async throws {
        let throttle = LoginThrottle()
        for _ in 0..<100 { try await throttle.check(clientID: "c", address: "10.0.0.1") }
        for _ in 0..<10 { await throttle.recordFailure(clientID: "c", address: "10.0.0.9") }
        await #expect(throws: GatewayError.self) { try await throttle.check(clientID: "c", address: "10.0.0.9") }
        try await throttle.check(clientID: "c", address: "10.0.0.1")
    }
}
