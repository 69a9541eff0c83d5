/// Why a payload cannot be encoded.
public enum QRCodeError: Error, Equatable, CustomStringConvertible {
    /// The payload is longer than the largest version holds at error-correction level M.
    case payloadTooLong(byteCount: Int, maximum: Int)

    public var description: String {
        switch self {
        case .payloadTooLong(let byteCount, let maximum):
            "QR payload of \(byteCount) bytes is longer than the \(maximum) bytes a version-40 symbol holds at error-correction level M"
        }
    }
}

/// A QR Code symbol (ISO/IEC 18004): one byte-mode segment, error-correction level M, the smallest
/// version from 1 to 40 that holds the payload, and the mask with the lowest penalty.
///
/// Pure value: render it with ``svg(quietZone:)`` or ``png(scale:quietZone:)``.
public struct QRCode: Sendable, Equatable {
    /// 1...40.
    public let version: Int
    /// The mask pattern applied (0...7).
    public let mask: Int
    /// Modules per side, without the quiet zone: 17 + 4 × version.
    public let size: Int
    /// Row-major, `true` for dark.
    let modules: [Bool]

    /// The most bytes a payload can have.
    public static var maximumPayloadBytes: Int { QRTables.byteCapacity(version: QRTables.versions.upperBound) }

    /// Encodes the text's UTF-8 bytes.
    public init(text: String) throws {
        try self.init(bytes: Array(text.utf8))
    }

    public init(bytes: [UInt8]) throws {
        try self.init(bytes: bytes, mask: nil)
    }

    /// `mask` forces one mask pattern instead of the best one, so that tests can prove each of them.
    init(bytes: [UInt8], mask: Int?) throws {
        guard let version = QRTables.versions.first(where: { QRTables.byteCapacity(version: $0) >= bytes.count }) else {
            throw QRCodeError.payloadTooLong(byteCount: bytes.count, maximum: Self.maximumPayloadBytes)
        }
        let codewords = Self.interleavedCodewords(Self.dataCodewords(bytes, version: version), version: version)
        let symbol = QRMatrix.best(version: version, codewords: codewords, masks: mask.map { [$0] } ?? Array(0..<8))
        self.version = version
        self.mask = symbol.mask
        self.size = symbol.size
        self.modules = symbol.modules
    }

    /// Whether the module at (row, column) is dark; positions outside the symbol are light.
    public func isDark(row: Int, column: Int) -> Bool {
        guard (0..<size).contains(row), (0..<size).contains(column) else { return false }
        return modules[row * size + column]
    }

    /// The data codewords (§7.4): mode 0100, character count, the bytes, a terminator of up to four
    /// zero bits, zero bits to the byte boundary, then the pad bytes 0xEC and 0x11 in turn.
    static func dataCodewords(_ bytes: [UInt8], version: Int) -> [UInt8] {
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)
        bits.append(bytes.count, count: QRTables.countBits(version: version))
        for byte in bytes { bits.append(Int(byte), count: 8) }
        let capacityBits = QRTables.dataCodewords(version: version) * 8
        bits.append(0, count: min(4, capacityBits - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var codewords = bits.bytes
        for index in 0..<(capacityBits / 8 - codewords.count) { codewords.append(index % 2 == 0 ? 0xEC : 0x11) }
        return codewords
    }

    /// Splits the data into blocks (the shorter ones first), appends each block's Reed–Solomon
    /// codewords and interleaves them (§7.6): data codewords column by column, then the error
    /// correction codewords the same way.
    static func interleavedCodewords(_ data: [UInt8], version: Int) -> [UInt8] {
        let blockCount = QRTables.blocks(version: version)
        let eccLength = QRTables.eccPerBlock(version: version)
        let shortLength = data.count / blockCount
        let longBlocks = data.count % blockCount
        var dataBlocks: [[UInt8]] = []
        var start = 0
        for index in 0..<blockCount {
            let length = shortLength + (index >= blockCount - longBlocks ? 1 : 0)
            dataBlocks.append(Array(data[start..<(start + length)]))
            start += length
        }
        let eccBlocks = dataBlocks.map { ReedSolomon.remainder(of: $0, degree: eccLength) }
        var result: [UInt8] = []
        for column in 0...shortLength {
            for block in dataBlocks where column < block.count { result.append(block[column]) }
        }
        for column in 0..<eccLength {
            for block in eccBlocks { result.append(block[column]) }
        }
        return result
    }
}

/// Bits appended most significant first.
struct BitBuffer {
    private(set) var bytes: [UInt8] = []
    private(set) var count = 0

    mutating func append(_ value: Int, count bitCount: Int) {
        for shift in stride(from: bitCount - 1, through: 0, by: -1) {
            if count % 8 == 0 { bytes.append(0) }
            if (value >> shift) & 1 == 1 { bytes[bytes.count - 1] |= 0x80 >> UInt8(count % 8) }
            count += 1
        }
    }
}
