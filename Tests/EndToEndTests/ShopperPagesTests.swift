import AsyncHTTPClient
import Foundation
import Testing

/// The shopper's side of a real in-store payment: the code the gateway hands the merchant, the
/// sandbox's page for it and its PNG, read by a QR decoder that is not ours (`zbarimg`).
@Suite("Shopper pages end to end")
struct ShopperPagesTests {
    @Test("csb_qrcode: the page shows the order and a QR code; the PNG decodes to the code value",
          .enabled(if: ZBarImage.executable != nil, Comment(rawValue: ZBarImage.missing)))
    func qrCodeDecodes() async throws {
        try await Running.with { server in
            let token = try await server.login()
            let created = try await server.api("pa/payment_intents/create", token: token, seed001Request(amount: "12"))
            #expect(created.code == 0, "\(created.body)")
            let nextAction = try #require(created.data["next_action"] as? [String: Any])
            #expect(nextAction["type"] as? String == "render_qrcode")
            let code = try #require(nextAction["url"] as? String)

            let page = try await server.send(.GET, code)
            #expect(page.status == 200)
            #expect(page.body.contains(#"<p class="amount" id="amount">HKD 12.00</p>"#))
            #expect(page.body.contains(#"<dd id="merchant">Test shop</dd>"#))
            #expect(page.body.contains(#"<dd id="description">Instore Payment</dd>"#))
            #expect(page.body.contains("<svg"))

            let response = try await server.http.execute(HTTPClientRequest(url: code + ".png"), timeout: .seconds(30))
            #expect(response.status.code == 200)
            #expect(response.headers.first(name: "content-type") == "image/png")
            let png = Array(buffer: try await response.body.collect(upTo: 1 << 22))
            #expect(try ZBarImage.decode(png: png) == code)
        }
    }
}

/// `zbarimg` (Debian `zbar-tools`, installed by `.ci/run`); without it the test is skipped.
enum ZBarImage {
    static let executable: URL? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        .split(separator: ":")
        .map { URL(fileURLWithPath: String($0)).appendingPathComponent("zbarimg") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }

    static let missing = "zbarimg is not installed (apt-get install -y zbar-tools); the QR code was not decoded"

    /// The text of the one QR code in `png`, as `zbarimg --raw -q` prints it.
    static func decode(png: [UInt8]) throws -> String {
        let file = URL(fileURLWithPath: temporaryFolder()).appendingPathComponent("code.png")
        try Data(png).write(to: file)
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--raw", "-q", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }
}
