/// Arithmetic in GF(256) with the QR Code's field polynomial x⁸ + x⁴ + x³ + x² + 1 (0x11D), and the
/// Reed–Solomon error-correction codewords of ISO/IEC 18004 §7.5.2.
enum ReedSolomon {
    /// α^i for i in 0..<255 (α = 2), doubled so that a sum of two logarithms indexes it directly.
    private static let exponents: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 510)
        var value = 1
        for index in 0..<255 {
            table[index] = UInt8(value)
            table[index + 255] = UInt8(value)
            value <<= 1
            if value & 0x100 != 0 { value ^= 0x11D }
        }
        return table
    }()

    /// log_α(v) for v in 1...255; index 0 is unused (zero has no logarithm).
    private static let logarithms: [Int] = {
        var table = [Int](repeating: 0, count: 256)
        for index in 0..<255 { table[Int(exponents[index])] = index }
        return table
    }()

    static func multiply(_ left: UInt8, _ right: UInt8) -> UInt8 {
        guard left != 0, right != 0 else { return 0 }
        return exponents[logarithms[Int(left)] + logarithms[Int(right)]]
    }

    /// The coefficients of (x − α⁰)(x − α¹)…(x − α^(degree−1)), highest power first, without the
    /// leading 1.
    static func generator(degree: Int) -> [UInt8] {
        var coefficients = [UInt8](repeating: 0, count: degree)
        coefficients[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            // Multiply by (x − root): shift up one power and add root times the old polynomial.
            for index in 0..<degree {
                coefficients[index] = multiply(coefficients[index], root)
                if index + 1 < degree { coefficients[index] ^= coefficients[index + 1] }
            }
            root = multiply(root, 2)
        }
        return coefficients
    }

    /// The `degree` error-correction codewords of `data`: the remainder of data·x^degree divided
    /// by the generator polynomial.
    static func remainder(of data: [UInt8], degree: Int) -> [UInt8] {
        let divisor = generator(degree: degree)
        var remainder = [UInt8](repeating: 0, count: degree)
        for byte in data {
            let factor = byte ^ remainder[0]
            remainder.removeFirst()
            remainder.append(0)
            for index in 0..<degree { remainder[index] ^= multiply(divisor[index], factor) }
        }
        return remainder
    }
}
