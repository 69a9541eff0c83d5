import Foundation
import Logging
@testable import ShroffConnectors
import ShroffCore
import ShroffSandbox
import Testing

/// The recorded messages over real HTTP against the real sandbox provider, and the real AMS client
/// against the same server: providers.md §1 from both ends of the wire.
@Suite("AMS over HTTP: client, sandbox and the fixtures")
struct SandboxHTTPTests {
    // MARK: The recorded request, replayed

    @Test("the recorded signed pay request is accepted: 200, U / PAYMENT_IN_PROCESS, lowercase signed answer")
    func recordedPayRequest() async throws {
        let request = try SignedMessage.load("signed_pay_request")
        let recordedAnswer = try SignedMessage.load("signed_pay_response")
        try await SandboxServer.with { server in
            let answer = try await server.post(request.path, headers: request.headers, body: request.body)
            #expect(answer.status == 200)
            #expect(answer.result.status == "U")
            #expect(answer.result.code == "PAYMENT_IN_PROCESS")
            try expectSignedAnswer(answer, path: request.path, clientID: request.clientID)

            // The same message shape as the recorded answer: the same fields, and the same values
            // wherever the provider has no choice.
            let json = try #require(answer.json)
            let recorded = try JSONDecoder().decode(JSONValue.self, from: Data(recordedAnswer.body))
            // The recorded answer's signed headers, spelled as on the wire.
            for name in ["client-id", "response-time", "signature"] {
                #expect(answer.fields(name).map(\.name) == recordedAnswer.headers.filter { $0.name.lowercased() == name }.map(\.name))
            }
            #expect(json.objectKeys == recorded.objectKeys)
            #expect(json["result"] == recorded["result"])
            #expect(json["paymentRequestId"] == recorded["paymentRequestId"])
            #expect(json["paymentAmount"] == .object(["currency": .string("USD"), "value": .string("100")]))
            #expect(json["redirectActionForm"]?.objectKeys == ["method", "redirectUrl"])
            #expect(json["redirectActionForm"]?["method"] == .string("GET"))
            let paymentID = try #require(json["paymentId"]?.stringValue)
            #expect(json["redirectActionForm"]?["redirectUrl"] == .string("\(SandboxServer.publicBaseURL)/sandbox/cashier/\(paymentID)"))
            #expect(json["paymentCreateTime"]?.stringValue.flatMap(TimestampFormat.parse) != nil)
        }
    }

    @Test("the recorded order-code pay request, signed, answers U with a QR order code")
    func recordedOrderCodeRequest() async throws {
        try await SandboxServer.with { server in
            let answer = try await server.signedPost("/ams/api/v1/payments/pay", body: try Fixture.bytes("pay_request_order_code.json"))
            #expect(answer.status == 200)
            #expect(answer.result.status == "U")
            #expect(answer.result.code == "PAYMENT_IN_PROCESS")
            try expectSignedAnswer(answer, path: "/ams/api/v1/payments/pay", clientID: Fixture.clientID)
            let json = try #require(answer.json)
            #expect(json["paymentAmount"] == .object(["currency": .string("HKD"), "value": .string("1050")]))
            #expect(json["redirectActionForm"] == nil)
            let paymentID = try #require(json["paymentId"]?.stringValue)
            guard case .array(let codes)? = json["orderCodeForm"]?["codeDetails"] else {
                Issue.record("no orderCodeForm.codeDetails in \(json)")
                return
            }
            #expect(codes.contains { $0["codeValueType"] == .string("QRCODE") && $0["codeValue"] == .string("\(SandboxServer.publicBaseURL)/sandbox/qr/\(paymentID)") })
        }
    }

    /// Checks the things providers.md requires of every answer: HTTP 200, `client-id`,
    /// `response-time` and `signature` spelled in lowercase on the wire, and a signature over
    /// `POST <request path>\n<client-id>.<response-time>.<body>` by the provider's key.
    func expectSignedAnswer(_ answer: SandboxServer.Answer, path: String, clientID: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(answer.status == 200, sourceLocation: sourceLocation)
        for name in ["client-id", "response-time", "signature"] {
            #expect(answer.fields(name).map(\.name) == [name], "header names as received: \(answer.headers.map(\.name))", sourceLocation: sourceLocation)
        }
        let echoedClientID = try #require(answer.fields("client-id").first?.value, sourceLocation: sourceLocation)
        let responseTime = try #require(answer.fields("response-time").first?.value, sourceLocation: sourceLocation)
        let signature = try #require(answer.fields("signature").first?.value, sourceLocation: sourceLocation)
        #expect(echoedClientID == clientID, sourceLocation: sourceLocation)
        #expect(TimestampFormat.parse(responseTime) != nil || (!responseTime.isEmpty && responseTime.allSatisfy(\.isASCIIDigit)),
                "response-time \(responseTime)", sourceLocation: sourceLocation)
        let independentlyValid = try IndependentVerifier.verify(
            header: signature, path: path, clientID: echoedClientID, time: responseTime, body: answer.body,
            publicKeyPEM: Fixture.Party.provider.publicKeyPEM()
        )
        #expect(independentlyValid, "answer signature \(signature) over \(path)", sourceLocation: sourceLocation)
        let validForClient = AMSSignature.verify(
            header: signature, body: answer.body, path: path, clientID: echoedClientID, time: responseTime,
            with: try Fixture.Party.provider.publicKey()
        )
        #expect(validForClient, "AMSSignature.verify refused the answer", sourceLocation: sourceLocation)
        // Not valid for another path.
        let validElsewhere = try IndependentVerifier.verify(
            header: signature, path: path + "x", clientID: echoedClientID, time: responseTime, body: answer.body,
            publicKeyPEM: Fixture.Party.provider.publicKeyPEM()
        )
        #expect(!validElsewhere, sourceLocation: sourceLocation)
    }

    // MARK: Tampered requests

    enum WireTampering: String, CaseIterable, Sendable {
        /// One byte of the body (in the paymentRequestId) changed after signing.
        case bodyByte
        /// The first digit of the amount changed after signing.
        case amountByte
        /// Sent to the sandbox-account path it was not signed for.
        case path
        case requestTime
        /// Another registered client id (same key) in the Client-Id header.
        case clientID
        /// Signed by the provider's key instead of the merchant's.
        case key
    }

    @Test("a request changed after signing is refused with INVALID_SIGNATURE (HTTP 200), signed, and nothing is created",
          arguments: WireTampering.allCases)
    func tamperedRequest(_ tampering: WireTampering) async throws {
        let recorded = try SignedMessage.load("signed_pay_request")
        var path = recorded.path
        var body = recorded.body
        var headers = recorded.headers
        var clientID = recorded.clientID
        func replace(_ name: String, with value: String) {
            headers = headers.map { $0.name == name ? ($0.name, value) : $0 }
        }
        switch tampering {
        case .bodyByte:
            let id = Array(#""paymentRequestId":"ord_20240702120000_0001""#.utf8)
            let start = try #require(body.indices.first { body[$0...].starts(with: id) })
            body = alteringOneByte(of: body, at: start + id.count - 2)
        case .amountByte:
            body = alteringOneByte(of: body, at: alterationPositions(in: body)[2])
        case .path:
            path = "/ams/sandbox/api/v1/payments/pay"
        case .requestTime:
            replace("Request-Time", with: "1719892800001")
        case .clientID:
            clientID = Fixture.sandboxClientID
            replace("Client-Id", with: clientID)
        case .key:
            replace("Signature", with: try AMSSignature.header(
                signing: body, path: path, clientID: clientID, time: recorded.time, with: Fixture.Party.provider.privateKey()
            ))
        }
        #expect(body.count == recorded.body.count)

        try await SandboxServer.with { server in
            let answer = try await server.post(path, headers: headers, body: body)
            #expect(answer.status == 200)
            #expect(answer.result.status == "F")
            #expect(answer.result.code == "INVALID_SIGNATURE")
            try expectSignedAnswer(answer, path: path, clientID: clientID)
            #expect(answer.json?["paymentId"] == nil)

            // Neither the sent nor the original payment request id exists now.
            let sentID = try #require(JSONDecoder().decode(JSONValue.self, from: Data(body))["paymentRequestId"]?.stringValue)
            for id in Set([sentID, "ord_20240702120000_0001"]) {
                let inquiry = try await server.signedPost(
                    "/ams/api/v1/payments/inquiryPayment", body: Array(#"{"paymentRequestId":"\#(id)"}"#.utf8)
                )
                #expect(inquiry.result.code == "ORDER_NOT_EXIST", "\(id)")
            }
        }
    }

    @Test("the recorded request, untouched, then the altered copy: only the first is accepted")
    func untouchedThenAltered() async throws {
        let recorded = try SignedMessage.load("signed_pay_request")
        try await SandboxServer.with { server in
            let accepted = try await server.post(recorded.path, headers: recorded.headers, body: recorded.body)
            #expect(accepted.result.code == "PAYMENT_IN_PROCESS")
            let altered = alteringOneByte(of: recorded.body, at: alterationPositions(in: recorded.body)[2])
            let refused = try await server.post(recorded.path, headers: recorded.headers, body: altered)
            #expect(refused.result.code == "INVALID_SIGNATURE")
            // Had the altered amount been read, it would be REPEAT_REQ_INCONSISTENT; the payment keeps its amount.
            let inquiry = try await server.signedPost(
                "/ams/api/v1/payments/inquiryPayment", body: Array(#"{"paymentRequestId":"ord_20240702120000_0001"}"#.utf8)
            )
            #expect(inquiry.result.code == "SUCCESS")
            #expect(inquiry.json?["paymentStatus"] == .string("PROCESSING"))
            #expect(inquiry.json?["paymentAmount"] == .object(["currency": .string("USD"), "value": .string("100")]))
            try expectSignedAnswer(inquiry, path: "/ams/api/v1/payments/inquiryPayment", clientID: Fixture.clientID)
        }
    }

    @Test("request header names are case-insensitive", arguments: [
        ["Content-Type", "Client-Id", "Request-Time", "Signature"],
        ["content-type", "client-id", "request-time", "signature"],
        ["CONTENT-TYPE", "CLIENT-ID", "REQUEST-TIME", "SIGNATURE"],
    ])
    func headerNameCase(_ names: [String]) async throws {
        let recorded = try SignedMessage.load("signed_pay_request")
        let values = ["application/json; charset=UTF-8", recorded.clientID, recorded.time, recorded.signature]
        try await SandboxServer.with { server in
            let answer = try await server.post(recorded.path, headers: Array(zip(names, values)).map { ($0, $1) }, body: recorded.body)
            #expect(answer.result.code == "PAYMENT_IN_PROCESS")
        }
    }

    @Test("Request-Time is opaque: ISO 8601 is accepted like milliseconds, and spaces after the commas")
    func isoRequestTimeAndSpacedSignature() async throws {
        let body = try Fixture.bytes("pay_request_cashier.json")
        let path = "/ams/api/v1/payments/pay"
        let time = "2024-07-02T12:00:00.000+08:00"
        let signature = try AMSSignature.header(
            signing: body, path: path, clientID: Fixture.clientID, time: time, with: Fixture.Party.merchant.privateKey()
        ).replacingOccurrences(of: ",", with: ", ")
        try await SandboxServer.with { server in
            let answer = try await server.post(path, headers: [
                ("Content-Type", "application/json; charset=UTF-8"), ("Client-Id", Fixture.clientID),
                ("Request-Time", time), ("Signature", signature),
            ], body: body)
            #expect(answer.result.code == "PAYMENT_IN_PROCESS")
        }
    }

    @Test("an amount sent as a JSON number is accepted and answered as a minor-unit string")
    func amountAsJSONNumber() async throws {
        let text = try Fixture.text("pay_request_cashier.json")
            .replacingOccurrences(of: #""value":"100""#, with: #""value":100"#)
        #expect(text.contains(#""paymentAmount":{"currency":"USD","value":100}"#))
        try await SandboxServer.with { server in
            let answer = try await server.signedPost("/ams/api/v1/payments/pay", body: Array(text.utf8))
            #expect(answer.result.code == "PAYMENT_IN_PROCESS")
            #expect(answer.json?["paymentAmount"] == .object(["currency": .string("USD"), "value": .string("100")]))
        }
    }

    @Test("seed 002 idempotency on paymentRequestId, over the wire")
    func idempotency() async throws {
        let body = try Fixture.bytes("pay_request_cashier.json")
        let path = "/ams/api/v1/payments/pay"
        try await SandboxServer.with { server in
            let first = try await server.signedPost(path, body: body)
            #expect(first.result.code == "PAYMENT_IN_PROCESS")
            // Unpaid: the same answer again.
            let again = try await server.signedPost(path, body: body)
            #expect(again.result.code == "PAYMENT_IN_PROCESS")
            #expect(again.json?["paymentId"] == first.json?["paymentId"])
            #expect(again.json?["redirectActionForm"] == first.json?["redirectActionForm"])
            // Different amount: REPEAT_REQ_INCONSISTENT.
            let otherAmount = Array(try Fixture.text("pay_request_cashier.json").replacingOccurrences(of: #""value":"100""#, with: #""value":"200""#).utf8)
            let inconsistent = try await server.signedPost(path, body: otherAmount)
            #expect(inconsistent.result.status == "F")
            #expect(inconsistent.result.code == "REPEAT_REQ_INCONSISTENT")
            // Paid: success without action forms.
            #expect(try await server.simulate(paymentRequestID: "ord_20240702120000_0001", outcome: "success").status == 200)
            let paid = try await server.signedPost(path, body: body)
            #expect(paid.result.status == "S")
            #expect(paid.result.code == "SUCCESS")
            #expect(paid.json?["paymentId"] == first.json?["paymentId"])
            #expect(paid.json?["redirectActionForm"] == nil && paid.json?["orderCodeForm"] == nil)
            try expectSignedAnswer(paid, path: path, clientID: Fixture.clientID)
        }
    }

    @Test("seed 002: a failed or cancelled payment asked again answers PROCESS_FAIL", arguments: ["fail", "cancel"])
    func idempotencyAfterFailure(_ outcome: String) async throws {
        let body = try Fixture.bytes("pay_request_cashier.json")
        try await SandboxServer.with { server in
            #expect(try await server.signedPost("/ams/api/v1/payments/pay", body: body).result.code == "PAYMENT_IN_PROCESS")
            #expect(try await server.simulate(paymentRequestID: "ord_20240702120000_0001", outcome: outcome).status == 200)
            let again = try await server.signedPost("/ams/api/v1/payments/pay", body: body)
            #expect(again.result.status == "F")
            #expect(again.result.code == "PROCESS_FAIL")
        }
    }

    // MARK: The real client against the real sandbox

    static func client(_ server: SandboxServer, clientID: String, providerKey: Fixture.Party = .provider) throws -> AMSClient {
        AMSClient(
            configuration: AMSConfiguration(
                baseURL: server.baseURL, clientID: clientID, merchantPrivateKey: try Fixture.Party.merchant.privateKey(),
                providerPublicKey: try providerKey.publicKey(), notifyURL: server.notifyURL, requestTimeout: .seconds(10)
            ),
            timestamps: FixtureIntent.timestamps, logger: Fixture.logger
        )
    }

    static func uniqueOrderID() -> String { "ord_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }

    @Test("AMSClient pays, inquires and is notified through the sandbox", arguments: [Fixture.clientID, Fixture.sandboxClientID])
    func clientAgainstSandbox(_ clientID: String) async throws {
        try await SandboxServer.with { server in
            let client = try Self.client(server, clientID: clientID)
            let intent = FixtureIntent.cashier(orderID: Self.uniqueOrderID(), expiresAt: Date().addingTimeInterval(900))

            let start = try await client.startPayment(ProviderPaymentRequest(intent: intent, merchantName: "Test shop"))
            guard case .awaitingShopper(let action, let paymentID?) = start else {
                Issue.record("startPayment answered \(start)")
                return
            }
            #expect(action == NextAction(type: .redirect, url: "\(SandboxServer.publicBaseURL)/sandbox/cashier/\(paymentID)"))

            // What went over the wire is the recorded request, apart from this run's ids and times.
            let sent = try #require(await server.recorder.amsRequests.last)
            #expect(sent.path == client.configuration.path("pay"))
            #expect(sent.path == (clientID.hasPrefix("SANDBOX_") ? "/ams/sandbox/api/v1/payments/pay" : "/ams/api/v1/payments/pay"))
            try expectSignedRequest(sent, clientID: clientID)
            let expected = try Fixture.json("pay_request_cashier.json")
                .setting(["paymentRequestId"], to: .string(intent.orderID))
                .setting(["paymentExpiryTime"], to: .string(FixtureIntent.timestamps.string(from: intent.expiresAt)))
                .setting(["paymentNotifyUrl"], to: .string(server.notifyURL))
            #expect(try JSONDecoder().decode(JSONValue.self, from: Data(sent.body)) == expected)

            #expect(try await client.inquirePayment(intent) == .processing)
            // Unpaid, asked again: the same payment.
            #expect(try await client.startPayment(ProviderPaymentRequest(intent: intent, merchantName: "Test shop")) == start)

            #expect(try await server.simulate(paymentRequestID: intent.orderID, outcome: "success").status == 200)

            // The sandbox's notification, read by the client's receiver.
            let recorder = server.recorder
            let notification = try await withTimeout(seconds: 10, "notifyPayment") { await recorder.nextNotification() }
            #expect(notification.path == SandboxServer.notifyPath)
            let receiver = AMSNotificationReceiver(providerPublicKey: try Fixture.Party.provider.publicKey(), clientID: clientID)
            let report = try receiver.paymentReport(header: notification.header, path: SandboxServer.notifyPath, body: notification.body)
            #expect(report.orderID == intent.orderID)
            #expect(report.reportedAmount == AMSAmount(currency: "USD", value: "100"))
            guard case .providerSucceeded(_, let wallet, let settleCurrency) = report.event else {
                Issue.record("notification reported \(report.event)")
                return
            }
            #expect(wallet == "ALIPAY_HK")
            #expect(settleCurrency == "USD")
            let notificationValid = try IndependentVerifier.verify(
                header: try #require(notification.header("signature")), path: SandboxServer.notifyPath,
                clientID: try #require(notification.header("client-id")), time: try #require(notification.header("request-time")),
                body: notification.body, publicKeyPEM: Fixture.Party.provider.publicKeyPEM()
            )
            #expect(notificationValid, "notification signature")
            #expect(notification.header("client-id") == clientID)
            // The notification's fields are those of the recorded notifyPayment.
            let notified = try JSONDecoder().decode(JSONValue.self, from: Data(notification.body))
            #expect(notified.objectKeys == (try Fixture.json("notify_payment/body.json")).objectKeys)
            #expect(notified["paymentAmount"] == .object(["currency": .string("USD"), "value": .string("100")]))

            guard case .succeeded(_, let inquiredWallet, let inquiredSettlement) = try await client.inquirePayment(intent) else {
                Issue.record("inquiry after payment is not succeeded")
                return
            }
            #expect(inquiredWallet == "ALIPAY_HK")
            #expect(inquiredSettlement == "USD")
            // Paid, asked again: success without action forms.
            guard case .succeeded(_, _, let paidID) = try await client.startPayment(ProviderPaymentRequest(intent: intent, merchantName: "Test shop")) else {
                Issue.record("pay after payment is not succeeded")
                return
            }
            #expect(paidID == paymentID)
        }
    }

    @Test("AMSClient starts an order-code payment through the sandbox")
    func clientOrderCode() async throws {
        try await SandboxServer.with { server in
            let client = try Self.client(server, clientID: Fixture.clientID)
            let now = Date()
            let intent = FixtureIntent.orderCode(orderID: Self.uniqueOrderID(), createTime: now, expiresAt: now.addingTimeInterval(900))
            let start = try await client.startPayment(ProviderPaymentRequest(intent: intent, merchantName: "Test shop"))
            guard case .awaitingShopper(let action, let paymentID?) = start else {
                Issue.record("startPayment answered \(start)")
                return
            }
            #expect(action == NextAction(
                type: .renderQRCode, url: "\(SandboxServer.publicBaseURL)/sandbox/qr/\(paymentID)", codeType: "QRCODE", displayType: "BIGIMAGE"
            ))
            let sent = try #require(await server.recorder.amsRequests.last)
            try expectSignedRequest(sent, clientID: Fixture.clientID)
            let expected = try Fixture.json("pay_request_order_code.json")
                .setting(["paymentRequestId"], to: .string(intent.orderID))
                .setting(["paymentExpiryTime"], to: .string(FixtureIntent.timestamps.string(from: intent.expiresAt)))
                .setting(["paymentNotifyUrl"], to: .string(server.notifyURL))
                .setting(["order", "env", "storeTerminalRequestTime"], to: .string(FixtureIntent.timestamps.string(from: now)))
            #expect(try JSONDecoder().decode(JSONValue.self, from: Data(sent.body)) == expected)
            #expect(try await client.inquirePayment(intent) == .processing)
        }
    }

    @Test("AMSClient refuses an answer it cannot verify with the provider's key")
    func clientRejectsUnverifiableAnswer() async throws {
        try await SandboxServer.with { server in
            // Configured with the wrong provider key: every answer's signature fails.
            let client = try Self.client(server, clientID: Fixture.clientID, providerKey: .merchant)
            let intent = FixtureIntent.cashier(orderID: Self.uniqueOrderID(), expiresAt: Date().addingTimeInterval(900))
            await #expect(throws: ProviderUnavailable.self) {
                try await client.startPayment(ProviderPaymentRequest(intent: intent, merchantName: "Test shop"))
            }
            // The request itself was good: the sandbox created the payment.
            let inquiry = try await server.signedPost(
                "/ams/api/v1/payments/inquiryPayment", body: Array(#"{"paymentRequestId":"\#(intent.orderID)"}"#.utf8)
            )
            #expect(inquiry.result.code == "SUCCESS")
        }
    }

    /// The client's request headers (providers.md §1: Content-Type, Client-Id, Request-Time, Signature)
    /// and its signature, checked by the test's own verifier.
    func expectSignedRequest(_ sent: SandboxServer.Received, clientID: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(sent.header("content-type") == "application/json; charset=UTF-8", sourceLocation: sourceLocation)
        #expect(sent.header("client-id") == clientID, sourceLocation: sourceLocation)
        let time = try #require(sent.header("request-time"), sourceLocation: sourceLocation)
        #expect(!time.isEmpty && time.allSatisfy(\.isASCIIDigit), "Request-Time \(time)", sourceLocation: sourceLocation)
        let signature = try #require(sent.header("signature"), sourceLocation: sourceLocation)
        let valid = try IndependentVerifier.verify(
            header: signature, path: sent.path, clientID: clientID, time: time, body: sent.body,
            publicKeyPEM: Fixture.Party.merchant.publicKeyPEM()
        )
        #expect(valid, "request signature \(signature) over \(sent.path)", sourceLocation: sourceLocation)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
