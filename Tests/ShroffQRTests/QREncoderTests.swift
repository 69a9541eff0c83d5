import Testing
@testable import ShroffQR

@Suite("QR encoder: known answers")
struct QREncoderTests {
    @Test("Reed–Solomon codewords of ISO/IEC 18004 Annex I (\"01234567\", 1-M)")
    func annexExample() {
        let data: [UInt8] = [0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11]
        #expect(ReedSolomon.remainder(of: data, degree: 10) == [0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55])
    }

    @Test("Reed–Solomon codewords of the well-known \"HELLO WORLD\" 1-M example")
    func helloWorldExample() {
        let data: [UInt8] = [0x20, 0x5B, 0x0B, 0x78, 0xD1, 0x72, 0xDC, 0x4D, 0x43, 0x40, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11]
        #expect(ReedSolomon.remainder(of: data, degree: 10) == [196, 35, 39, 119, 235, 215, 231, 226, 93, 23])
    }

    @Test("byte-mode data codewords: mode, count, bytes, terminator, pad bytes")
    func dataCodewords() {
        // 0100 | 00000101 | "hello" | 0000, then EC 11 … up to the 16 data codewords of 1-M.
        #expect(QRCode.dataCodewords(Array("hello".utf8), version: 1)
            == [0x40, 0x56, 0x86, 0x56, 0xC6, 0xC6, 0xF0, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC])
        // Versions 10 and up count in 16 bits.
        #expect(QRCode.dataCodewords([0x41], version: 10).prefix(4) == [0x40, 0x00, 0x14, 0x10])
        #expect(QRCode.dataCodewords([0x41], version: 10).count == QRTables.dataCodewords(version: 10))
    }

    @Test("format information for level M and each mask (Table C.1)")
    func formatBits() {
        let expected = [
            0b101010000010010, 0b101000100100101, 0b101111001111100, 0b101101101001011,
            0b100010111111001, 0b100000011001110, 0b100111110010111, 0b100101010100000,
        ]
        #expect((0..<8).map(QRMatrix.formatBits(mask:)) == expected)
    }

    @Test("version information (Table D.1)")
    func versionBits() {
        #expect(QRMatrix.versionBits(version: 7) == 0x07C94)
        #expect(QRMatrix.versionBits(version: 8) == 0x085BC)
        #expect(QRMatrix.versionBits(version: 21) == 0x15683)
        #expect(QRMatrix.versionBits(version: 40) == 0x28C69)
    }

    @Test("byte capacities at level M (Table 7) and alignment positions (Table E.1)")
    func tables() {
        #expect((1...10).map(QRTables.byteCapacity(version:)) == [14, 26, 42, 62, 84, 106, 122, 152, 180, 213])
        #expect(QRTables.byteCapacity(version: 20) == 666)
        #expect(QRTables.byteCapacity(version: 40) == 2331)
        #expect(QRTables.alignmentPositions(version: 1) == [])
        #expect(QRTables.alignmentPositions(version: 2) == [6, 18])
        #expect(QRTables.alignmentPositions(version: 7) == [6, 22, 38])
        #expect(QRTables.alignmentPositions(version: 32) == [6, 34, 60, 86, 112, 138])
        #expect(QRTables.alignmentPositions(version: 40) == [6, 30, 58, 86, 114, 142, 170])
    }

    @Test("the smallest version that holds the payload is chosen", arguments: 1...40)
    func versionChoice(version: Int) throws {
        let capacity = QRTables.byteCapacity(version: version)
        let full = try QRCode(bytes: [UInt8](repeating: 0x61, count: capacity))
        #expect(full.version == version)
        #expect(full.size == 17 + 4 * version)
        if version < 40 {
            #expect(try QRCode(bytes: [UInt8](repeating: 0x61, count: capacity + 1)).version == version + 1)
        }
    }

    @Test("a payload longer than version 40 holds is refused with a clear error")
    func tooLong() {
        #expect(throws: QRCodeError.payloadTooLong(byteCount: 2332, maximum: 2331)) {
            try QRCode(bytes: [UInt8](repeating: 0, count: 2332))
        }
        #expect(QRCodeError.payloadTooLong(byteCount: 2332, maximum: 2331).description.contains("2331 bytes"))
        #expect(QRCode.maximumPayloadBytes == 2331)
    }

    @Test("the symbol carries the finder patterns, timing, dark module and both format copies")
    func functionPatterns() throws {
        let code = try QRCode(text: "http://127.0.0.1:8080/sandbox/qr/2026173290000000000001")
        let last = code.size - 1
        for (row, column) in [(0, 0), (0, last), (last, 0)] {
            #expect(code.isDark(row: row, column: column))
            #expect(code.isDark(row: row == 0 ? 3 : last - 3, column: column == 0 ? 3 : last - 3))
        }
        #expect(!code.isDark(row: 1, column: 1))
        #expect(!code.isDark(row: 7, column: 7))
        #expect(code.isDark(row: code.size - 8, column: 8))
        #expect((8..<(code.size - 8)).allSatisfy { code.isDark(row: 6, column: $0) == ($0 % 2 == 0) })
        #expect(!code.isDark(row: -1, column: 0) && !code.isDark(row: 0, column: code.size))
        // Format copy 1: bits 0–5 down column 8; copy 2: bits 0–7 along row 8 from the right edge.
        let bits = QRMatrix.formatBits(mask: code.mask)
        let firstCopy = (0...5).map { code.isDark(row: $0, column: 8) }
        let secondCopy = (0..<8).map { code.isDark(row: 8, column: last - $0) }
        #expect(firstCopy == (0...5).map { (bits >> $0) & 1 == 1 })
        #expect(secondCopy == (0..<8).map { (bits >> $0) & 1 == 1 })
    }

    @Test("the chosen mask has the lowest penalty of the eight")
    func bestMask() throws {
        let payload = Array("Shroff sandbox order code".utf8)
        let code = try QRCode(bytes: payload)
        let codewords = QRCode.interleavedCodewords(QRCode.dataCodewords(payload, version: code.version), version: code.version)
        let penalties = (0..<8).map { QRMatrix.best(version: code.version, codewords: codewords, masks: [$0]).penalty() }
        let lowest = try #require(penalties.min())
        #expect(code.mask == penalties.firstIndex(of: lowest))
        #expect(Set(penalties).count > 1)
    }
}
