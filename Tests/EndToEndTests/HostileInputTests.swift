import Foundation
import NIOCore
import NIOPosix
import ShroffCore
import Testing

/// Inputs an attacker would try (issue 14), each against the real server over HTTP. Every one of
/// these stopped the process, locked a merchant out or slipped past a rule before the fix.
@Suite("Hostile input")
struct HostileInputTests {
    @Test("an amount of a digit plus a combining accent is a 40001, and the server keeps serving")
    func combiningAccentAmount() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let create = try await server.api("pa/payment_intents/create", token: token, seed000Request(amount: "1\u{0301}"))
            #expect(create.code == 40001)
            #expect(create.message.hasPrefix("amount:"))
            let paid = try await LifecycleTests.paidIntent(server, token: token)
            let refund = try await server.api("pa/refunds/create", token: token, """
                {"order_id":"\(paid)","merchant_refund_id":"\(uniqueOrderID())","amount":"1\u{0301}"}
                """)
            #expect(refund.code == 40001)
            #expect(refund.message.hasPrefix("amount:"))
            #expect(try await server.send(.GET, server.gatewayURL + "/healthz").status == 200)
        }
    }

    @Test("a stranger's failed logins from another address do not lock the merchant out")
    func loginLockout() async throws {
        try await Running.with { server in
            let port = try #require(URL(string: server.gatewayURL)?.port)
            var throttled = false
            for _ in 0..<300 {
                let status = try await rawLogin(
                    from: "127.0.0.2", port: port, clientID: server.credentials.clientID, apiKey: "not-the-key"
                )
                #expect(status == 401 || status == 429)
                throttled = throttled || status == 429
            }
            #expect(throttled, "the stranger's guessing is throttled")
            // The merchant, from its own address, still logs in; correct logins are never charged.
            for _ in 0..<30 { _ = try await server.login() }
        }
    }

    @Test("return_url: a backslash, userinfo or a control character is refused; other hosts are refused")
    func returnURLBypass() async throws {
        try await Running.with { server in
            let token = try await server.login()
            for url in [#"https://evil.com\\@shop.example.com/"#, "https://evil.com@shop.example.com/", "https://shop.example.com/\\u0000"] {
                let answer = try await server.api(
                    "pa/payment_intents/create", token: token, MobileWebTests.seed003Request(returnURL: url)
                )
                #expect(answer.code == 40001, "\(url): \(answer.body)")
                #expect(answer.message.hasPrefix("return_url:"))
            }
            let elsewhere = try await server.api(
                "pa/payment_intents/create", token: token, MobileWebTests.seed003Request(returnURL: "https://shop.example.com.evil.com/")
            )
            #expect(elsewhere.code == 42200)
        }
    }

    @Test("lengths count bytes: a one-character description of 601 bytes is refused")
    func lengthInBytes() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let stacked = "e" + String(repeating: "\\u0301", count: 300)
            let body = seed000Request().replacingOccurrences(of: "\"Online Payment\"", with: "\"\(stacked)\"")
            let answer = try await server.api("pa/payment_intents/create", token: token, body)
            #expect(answer.code == 40001)
            #expect(answer.message == "description: must be at most 256 bytes in UTF-8")
        }
    }

    @Test("bodies, nesting and headers have limits answered with the envelope")
    func sizeLimits() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
            let nested = try await server.api("pa/payment_intents/create", token: token, #"{"a":\#(deep)}"#)
            #expect(nested.status == 400)
            #expect(nested.code == 40000)
            #expect(nested.message.hasPrefix("body: nested deeper than 32"))

            let padding = String(repeating: "x", count: 70 * 1024)
            let large = try await server.api("pa/payment_intents/create", token: token, #"{"description":"\#(padding)"}"#)
            #expect(large.code == 40000)
            #expect(large.message == "body: larger than the 64 KiB limit")

            let headers = (0..<20).map { ("x-filler-\($0)", String(repeating: "h", count: 1000)) }
            let crowded = try await server.send(.GET, server.gatewayURL + "/healthz", headers: headers)
            #expect(crowded.status == 400)
            #expect(crowded.code == 40000)
            #expect(crowded.message == "headers: larger than the 16 KiB limit")
        }
    }

    @Test("the data folder is 0700, and the database, its journal files and the keys are 0600")
    func secretsAtRest() async throws {
        let folder = temporaryFolder() + "/data"
        try await Running.with(dataDirectory: folder) { server in
            _ = try await server.login()
            let keys = folder + "/sandbox-keys"
            let files = try FileManager.default.contentsOfDirectory(atPath: folder).map { folder + "/" + $0 }
                + FileManager.default.contentsOfDirectory(atPath: keys).map { keys + "/" + $0 }
            #expect(try permissions(folder) == 0o700)
            #expect(try permissions(keys) == 0o700)
            let secrets = files.filter { $0.hasSuffix(".sqlite") || $0.hasSuffix("-wal") || $0.hasSuffix("-shm") || $0.contains("private") || $0.contains("md5") }
            #expect(secrets.contains { $0.contains("private") })
            for file in secrets { #expect(try permissions(file) == 0o600, "\(file)") }
            if !TestPostgres.isAvailable { #expect(secrets.contains { $0.hasSuffix(".sqlite") }) }
        }
    }
}

func permissions(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? Int ?? 0) & 0o777
}

/// A login sent from a chosen loopback address (the harness's HTTP client always uses 127.0.0.1).
func rawLogin(from source: String, port: Int, clientID: String, apiKey: String) async throws -> Int {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(to: try SocketAddress(ipAddress: source, port: 0))
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(string: """
            POST /mch-api/v1/authentication/login HTTP/1.1\r
            Host: 127.0.0.1\r
            x-client-id: \(clientID)\r
            x-api-key: \(apiKey)\r
            Content-Length: 0\r
            Connection: close\r
            \r

            """))
        var head = ""
        for try await buffer in inbound {
            head += String(buffer: buffer)
            if head.contains("\r\n") { break }
        }
        let statusText = head.split(separator: " ").dropFirst().first.map(String.init) ?? ""
        return Int(statusText) ?? 0
    }
}
