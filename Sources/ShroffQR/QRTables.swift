/// The per-version numbers of ISO/IEC 18004 for error-correction level M.
enum QRTables {
    static let versions = 1...40

    /// Error-correction codewords per block at level M, by version (index 0 unused). Table 9.
    private static let eccCodewordsPerBlock: [Int] = [
        0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
        26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
    ]

    /// Error-correction blocks at level M, by version (index 0 unused). Table 9.
    private static let blockCounts: [Int] = [
        0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
        17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
    ]

    static func size(version: Int) -> Int { 17 + 4 * version }

    static func eccPerBlock(version: Int) -> Int { eccCodewordsPerBlock[version] }

    static func blocks(version: Int) -> Int { blockCounts[version] }

    /// Codewords the symbol holds: its modules less the function patterns and format and version
    /// information, in whole bytes (the 0–7 remainder bits stay light).
    static func totalCodewords(version: Int) -> Int {
        var modules = (16 * version + 128) * version + 64
        if version >= 2 {
            let alignmentCount = version / 7 + 2
            modules -= (25 * alignmentCount - 10) * alignmentCount - 55
            if version >= 7 { modules -= 36 }
        }
        return modules / 8
    }

    static func dataCodewords(version: Int) -> Int {
        totalCodewords(version: version) - eccPerBlock(version: version) * blocks(version: version)
    }

    /// Bits of the byte-mode character count indicator (Table 3).
    static func countBits(version: Int) -> Int { version <= 9 ? 8 : 16 }

    /// The most bytes a byte-mode segment can carry in this version at level M.
    static func byteCapacity(version: Int) -> Int {
        (dataCodewords(version: version) * 8 - 4 - countBits(version: version)) / 8
    }

    /// Centre coordinates of the alignment patterns on each axis (Annex E), ascending.
    static func alignmentPositions(version: Int) -> [Int] {
        guard version >= 2 else { return [] }
        let count = version / 7 + 2
        let step = version == 32 ? 26 : (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
        let last = size(version: version) - 7
        return [6] + (0..<(count - 1)).map { last - $0 * step }.reversed()
    }
}
