import Foundation
import Testing
@testable import ShroffQR

/// The real proof: PNGs of many payloads, read back by zbarimg, a decoder that is not ours.
@Suite("QR codes decoded by zbarimg", .enabled(if: ZBar.executable != nil, Comment(rawValue: ZBar.missing)))
struct QRDecodeTests {
    /// Short and typical texts, among them code values the sandbox issues.
    static let samples = [
        "a", "0", "HELLO WORLD", "Shroff",
        "http://127.0.0.1:8080/sandbox/qr/2026173290000000000001",
        "https://sandbox.payments.example.com/sandbox/qr/20261732900000001234567890",
        "Café latte ×2 咖啡 — 支付寶HK 😀",
    ]

    @Test("texts decode to themselves", arguments: samples)
    func texts(_ text: String) throws {
        try withFolder { folder in
            let png = try QRCode(text: text).png(scale: 4)
            let decoded = try ZBar.decodeText(png: png, in: folder, name: "text")
            #expect(decoded == text)
        }
    }

    @Test("every version 1–40, filled to capacity, decodes", arguments: 1...40)
    func fullVersion(_ version: Int) throws {
        var generator = SeededGenerator(state: UInt64(version))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/:?=&")
        let text = String((0..<QRTables.byteCapacity(version: version)).map { _ in alphabet.randomElement(using: &generator) ?? "A" })
        let code = try QRCode(text: text)
        #expect(code.version == version)
        try withFolder { folder in
            let decoded = try ZBar.decodeText(png: code.png(scale: 3), in: folder, name: "v\(version)")
            #expect(decoded == text)
        }
    }

    @Test("each of the 8 masks decodes (version 7, with version information)", arguments: 0..<8)
    func eachMask(_ mask: Int) throws {
        let payload = Array("mask \(mask): \(String(repeating: "shroff ", count: 15))".utf8)
        let code = try QRCode(bytes: payload, mask: mask)
        #expect(code.version == 7 && code.mask == mask)
        try withFolder { folder in
            let decoded = try ZBar.decodeBytes(png: code.png(scale: 4), in: folder, name: "mask\(mask)")
            #expect(decoded == payload)
        }
    }

    @Test("random bytes decode byte for byte", arguments: [1, 17, 100, 213, 500, 1_000])
    func randomBytes(_ count: Int) throws {
        var generator = SeededGenerator(state: 0x5EED + UInt64(count))
        let payload = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try withFolder { folder in
            let decoded = try ZBar.decodeBytes(png: QRCode(bytes: payload).png(scale: 3), in: folder, name: "bytes")
            #expect(decoded == payload)
        }
    }

    @Test("random UTF-8 text decodes to itself", arguments: 1...8)
    func randomText(_ seed: Int) throws {
        var generator = SeededGenerator(state: UInt64(seed) * 7919)
        // ASCII, Latin-1, Greek, CJK and emoji: one to four bytes each in UTF-8.
        let ranges: [ClosedRange<UInt32>] = [0x20...0x7E, 0xA1...0xFF, 0x391...0x3C9, 0x4E00...0x9FA5, 0x1F600...0x1F64F]
        let length = Int.random(in: 1...(seed * 25), using: &generator)
        let scalars = (0..<length).compactMap { _ in
            ranges.randomElement(using: &generator).flatMap { Unicode.Scalar(UInt32.random(in: $0, using: &generator)) }
        }
        let text = String(String.UnicodeScalarView(scalars))
        try withFolder { folder in
            let decoded = try ZBar.decodeBytes(png: QRCode(text: text).png(scale: 3), in: folder, name: "utf8")
            #expect(decoded == Array(text.utf8))
        }
    }

    private func withFolder(_ body: (URL) throws -> Void) throws {
        let folder = try ZBar.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try body(folder)
    }
}
