import Testing
@testable import ShroffQR

@Suite("QR images: PNG and SVG")
struct QRImageTests {
    @Test("CRC-32 and Adler-32 check values")
    func checksums() {
        #expect(PNG.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(PNG.crc32(Array("IEND".utf8)) == 0xAE42_6082)
        #expect(PNG.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
    }

    @Test("stored deflate blocks split at 65,535 bytes and carry LEN and its complement")
    func storedBlocks() {
        let data = (0..<70_000).map { UInt8($0 % 251) }
        let zlib = PNG.zlibStored(data)
        #expect(zlib.prefix(2) == [0x78, 0x01])
        #expect((0x78 * 256 + 0x01) % 31 == 0)
        #expect(zlib[2...6] == [0x00, 0xFF, 0xFF, 0x00, 0x00])
        let second = 7 + 65_535
        #expect(zlib[second...(second + 4)] == [0x01, 0x71, 0x11, 0x8E, 0xEE])  // 4,465 bytes, final
        #expect(Array(zlib.suffix(4)) == PNG.bigEndian(PNG.adler32(data)))
        #expect(zlib.count == 2 + 5 + 65_535 + 5 + 4_465 + 4)
    }

    @Test("the PNG's pixels are the modules at the scale, with the quiet zone", arguments: [1, 3, 8])
    func pngPixels(scale: Int) throws {
        let code = try QRCode(text: "Shroff")
        let png = code.png(scale: scale)
        let image = try DecodedPNG(png)
        let side = (code.size + 8) * scale
        #expect(image.width == side && image.height == side)
        for y in 0..<side {
            for x in 0..<side {
                let dark = code.isDark(row: y / scale - 4, column: x / scale - 4)
                if image.isWhite(x: x, y: y) == dark {
                    Issue.record("pixel (\(x), \(y)) is \(dark ? "white" : "black") but its module is \(dark ? "dark" : "light")")
                    return
                }
            }
        }
    }

    @Test("out-of-range scales are clamped instead of failing")
    func pngScaleClamped() throws {
        let code = try QRCode(text: "x")
        #expect(try DecodedPNG(code.png(scale: 0)).width == code.size + 8)
        #expect(try DecodedPNG(code.png(scale: 1000)).width == (code.size + 8) * QRCode.maximumPNGScale)
        #expect(try DecodedPNG(code.png(scale: 2, quietZone: 0)).width == code.size * 2)
    }

    @Test("the SVG draws exactly the dark modules, crisp, inside a 4-module quiet zone")
    func svg() throws {
        let code = try QRCode(text: "https://sandbox.example.com/sandbox/qr/2026173290000000000001")
        let svg = code.svg()
        let side = code.size + 8
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(side) \(side)\""))
        #expect(svg.contains("shape-rendering=\"crispEdges\""))
        #expect(svg.hasSuffix("</svg>"))
        // Replay the path's runs "M{x} {y}h{n}v1h-{n}z" onto a grid and compare with the symbol.
        let path = try #require(svg.split(separator: "d=\"").last?.split(separator: "\"").first)
        var drawn = Set<[Int]>()
        for run in path.split(separator: "z") {
            let numbers = run.split { !"0123456789".contains($0) }.compactMap { Int($0) }
            try #require(numbers.count == 5 && numbers[2] == numbers[4] && numbers[3] == 1, "run \(run)")
            for column in numbers[0]..<(numbers[0] + numbers[2]) { drawn.insert([numbers[1] - 4, column - 4]) }
        }
        var expected = Set<[Int]>()
        for row in 0..<code.size {
            for column in 0..<code.size where code.isDark(row: row, column: column) { expected.insert([row, column]) }
        }
        #expect(drawn == expected)
    }
}

/// Reads back the PNGs ``QRCode/png(scale:quietZone:)`` writes (1-bit greyscale, stored deflate
/// blocks, filter 0), checking every chunk's CRC on the way.
struct DecodedPNG {
    let width: Int
    let height: Int
    private let scanlines: [UInt8]

    struct Malformed: Error { let reason: String }

    init(_ bytes: [UInt8]) throws {
        guard bytes.prefix(8) == PNG.signature[...] else { throw Malformed(reason: "signature") }
        var offset = 8
        var chunks: [(type: String, data: [UInt8])] = []
        while offset + 12 <= bytes.count {
            let length = Self.uint32(bytes, offset)
            let typeAndData = Array(bytes[(offset + 4)..<(offset + 8 + length)])
            guard Self.uint32(bytes, offset + 8 + length) == Int(PNG.crc32(typeAndData)) else { throw Malformed(reason: "CRC") }
            chunks.append((String(decoding: typeAndData.prefix(4), as: UTF8.self), Array(typeAndData.dropFirst(4))))
            offset += 12 + length
        }
        guard chunks.map(\.type) == ["IHDR", "IDAT", "IEND"], let header = chunks.first?.data, header.count == 13,
              Array(header[8...]) == [1, 0, 0, 0, 0]
        else { throw Malformed(reason: "chunks or header") }
        width = Self.uint32(header, 0)
        height = Self.uint32(header, 4)
        // Inflate stored blocks: header byte, LEN, NLEN, data; then the Adler-32.
        let zlib = chunks[1].data
        var inflated: [UInt8] = []
        var position = 2
        while true {
            let final = zlib[position] & 1 == 1
            let length = Int(zlib[position + 1]) | Int(zlib[position + 2]) << 8
            inflated += zlib[(position + 5)..<(position + 5 + length)]
            position += 5 + length
            if final { break }
        }
        guard Self.uint32(zlib, position) == Int(PNG.adler32(inflated)) else { throw Malformed(reason: "Adler-32") }
        guard inflated.count == height * (1 + (width + 7) / 8) else { throw Malformed(reason: "image size") }
        scanlines = inflated
    }

    func isWhite(x: Int, y: Int) -> Bool {
        let row = y * (1 + (width + 7) / 8)
        return scanlines[row] == 0 && (scanlines[row + 1 + x / 8] >> (7 - UInt8(x % 8))) & 1 == 1
    }

    private static func uint32(_ bytes: [UInt8], _ offset: Int) -> Int {
        bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
    }
}
