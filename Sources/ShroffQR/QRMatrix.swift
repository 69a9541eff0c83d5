/// Builds a symbol's module grid: the function patterns, the codewords in the zigzag order of
/// §7.7.3, the mask (§7.8) with the lowest penalty, and the format and version information.
struct QRMatrix {
    let size: Int
    private(set) var modules: [Bool]
    /// Modules of function patterns and format/version information, which data and masks skip.
    private var reserved: [Bool]
    private(set) var mask = 0

    private init(version: Int) {
        size = QRTables.size(version: version)
        modules = [Bool](repeating: false, count: size * size)
        reserved = modules
        drawFunctionPatterns(version: version)
    }

    /// The symbol with each of `masks` applied; the one with the lowest penalty wins (ties go to
    /// the lower mask number).
    static func best(version: Int, codewords: [UInt8], masks: [Int]) -> QRMatrix {
        var unmasked = QRMatrix(version: version)
        unmasked.place(codewords)
        var best = unmasked
        var bestPenalty = Int.max
        for mask in masks {
            var candidate = unmasked
            candidate.apply(mask: mask)
            candidate.drawFormatBits(mask: mask)
            let penalty = candidate.penalty()
            if penalty < bestPenalty {
                best = candidate
                bestPenalty = penalty
            }
        }
        return best
    }

    /// The 15 format bits for level M (indicator 00) and `mask`: BCH(15,5) code XOR 0x5412 (§7.9).
    static func formatBits(mask: Int) -> Int {
        let data = (0b00 << 3) | mask
        var remainder = data
        for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
        return ((data << 10) | remainder) ^ 0x5412
    }

    /// The 18 version bits (versions 7 and up): the version and its BCH(18,6) code (Annex D).
    static func versionBits(version: Int) -> Int {
        var remainder = version
        for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
        return (version << 12) | remainder
    }

    func isDark(row: Int, column: Int) -> Bool { modules[row * size + column] }

    private mutating func set(row: Int, column: Int, dark: Bool) {
        modules[row * size + column] = dark
        reserved[row * size + column] = true
    }

    private mutating func drawFunctionPatterns(version: Int) {
        for index in 0..<size {
            set(row: 6, column: index, dark: index % 2 == 0)
            set(row: index, column: 6, dark: index % 2 == 0)
        }
        for (row, column) in [(3, 3), (3, size - 4), (size - 4, 3)] { drawFinder(row: row, column: column) }
        // Alignment patterns at every pair of positions but the three that meet a finder pattern.
        let positions = QRTables.alignmentPositions(version: version)
        for (rowIndex, row) in positions.enumerated() {
            for (columnIndex, column) in positions.enumerated() {
                let first = 0, last = positions.count - 1
                let touchesFinder = (rowIndex, columnIndex) == (first, first) || (rowIndex, columnIndex) == (first, last)
                    || (rowIndex, columnIndex) == (last, first)
                if !touchesFinder { drawAlignment(row: row, column: column) }
            }
        }
        // Reserve the format areas now (their bits depend on the mask) and the dark module.
        drawFormatBits(mask: 0)
        if version >= 7 { drawVersionBits(version: version) }
    }

    /// A finder pattern centred at (row, column) with its light separator, clipped to the symbol.
    private mutating func drawFinder(row: Int, column: Int) {
        for dy in -4...4 {
            for dx in -4...4 {
                let (y, x) = (row + dy, column + dx)
                guard (0..<size).contains(y), (0..<size).contains(x) else { continue }
                let distance = max(abs(dx), abs(dy))
                set(row: y, column: x, dark: distance != 2 && distance != 4)
            }
        }
    }

    private mutating func drawAlignment(row: Int, column: Int) {
        for dy in -2...2 {
            for dx in -2...2 { set(row: row + dy, column: column + dx, dark: max(abs(dx), abs(dy)) != 1) }
        }
    }

    private mutating func drawFormatBits(mask: Int) {
        let bits = Self.formatBits(mask: mask)
        func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }
        // Around the top-left finder: bits 0–7 down column 8 (skipping the timing row), 8–14 along row 8.
        for index in 0...5 { set(row: index, column: 8, dark: bit(index)) }
        set(row: 7, column: 8, dark: bit(6))
        set(row: 8, column: 8, dark: bit(7))
        set(row: 8, column: 7, dark: bit(8))
        for index in 9..<15 { set(row: 8, column: 14 - index, dark: bit(index)) }
        // The copy: bits 0–7 along row 8 from the right edge, 8–14 up column 8 from the bottom.
        for index in 0..<8 { set(row: 8, column: size - 1 - index, dark: bit(index)) }
        for index in 8..<15 { set(row: size - 15 + index, column: 8, dark: bit(index)) }
        set(row: size - 8, column: 8, dark: true)
    }

    private mutating func drawVersionBits(version: Int) {
        let bits = Self.versionBits(version: version)
        for index in 0..<18 {
            let dark = (bits >> index) & 1 == 1
            let (near, far) = (index / 3, size - 11 + index % 3)
            set(row: near, column: far, dark: dark)
            set(row: far, column: near, dark: dark)
        }
    }

    /// Places the codewords' bits in two-column strips from the bottom-right, alternately upwards
    /// and downwards, skipping the vertical timing column; remainder modules stay light.
    private mutating func place(_ codewords: [UInt8]) {
        let totalBits = codewords.count * 8
        var bitIndex = 0
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            let upward = (right + 1) & 2 == 0
            for step in 0..<size {
                let row = upward ? size - 1 - step : step
                for column in [right, right - 1] where !reserved[row * size + column] && bitIndex < totalBits {
                    modules[row * size + column] = (codewords[bitIndex >> 3] >> (7 - UInt8(bitIndex & 7))) & 1 == 1
                    bitIndex += 1
                }
            }
            right -= 2
        }
    }

    private mutating func apply(mask: Int) {
        self.mask = mask
        for row in 0..<size {
            for column in 0..<size where !reserved[row * size + column] && Self.maskCondition(mask, row: row, column: column) {
                modules[row * size + column].toggle()
            }
        }
    }

    /// Table 10: where mask `mask` inverts a data module (i = row, j = column).
    static func maskCondition(_ mask: Int, row i: Int, column j: Int) -> Bool {
        switch mask {
        case 0: (i + j) % 2 == 0
        case 1: i % 2 == 0
        case 2: j % 3 == 0
        case 3: (i + j) % 3 == 0
        case 4: (i / 2 + j / 3) % 2 == 0
        case 5: (i * j) % 2 + (i * j) % 3 == 0
        case 6: ((i * j) % 2 + (i * j) % 3) % 2 == 0
        default: ((i + j) % 2 + (i * j) % 3) % 2 == 0
        }
    }

    /// The penalty score of §7.8.3: runs of five or more (N1 = 3, +1 per extra module), 2×2 blocks
    /// (N2 = 3), finder-like 1:1:3:1:1 patterns with four light modules on a side (N3 = 40, the
    /// area outside the symbol counted as light) and the dark proportion's distance from 50 %
    /// (N4 = 10 per 5 %).
    func penalty() -> Int {
        var score = 0
        for index in 0..<size {
            score += Self.linePenalty((0..<size).map { isDark(row: index, column: $0) })
            score += Self.linePenalty((0..<size).map { isDark(row: $0, column: index) })
        }
        for row in 0..<(size - 1) {
            for column in 0..<(size - 1) {
                let colour = isDark(row: row, column: column)
                if isDark(row: row, column: column + 1) == colour, isDark(row: row + 1, column: column) == colour,
                   isDark(row: row + 1, column: column + 1) == colour {
                    score += 3
                }
            }
        }
        let dark = modules.count(where: { $0 })
        let total = size * size
        let deviationSteps = (abs(dark * 20 - total * 10) + total - 1) / total - 1
        return score + max(0, deviationSteps) * 10
    }

    private static let finderLike: [Bool] = [true, false, true, true, true, false, true]

    private static func linePenalty(_ line: [Bool]) -> Int {
        var score = 0
        var runStart = 0
        for index in 1...line.count where index == line.count || line[index] != line[runStart] {
            let run = index - runStart
            if run >= 5 { score += 3 + run - 5 }
            runStart = index
        }
        let padded = [Bool](repeating: false, count: 4) + line + [Bool](repeating: false, count: 4)
        for start in 0...(padded.count - 7) where Array(padded[start..<(start + 7)]) == finderLike {
            let before = padded[max(0, start - 4)..<start]
            let after = padded[(start + 7)..<min(padded.count, start + 11)]
            if (before.count == 4 && !before.contains(true)) || (after.count == 4 && !after.contains(true)) { score += 40 }
        }
        return score
    }
}
