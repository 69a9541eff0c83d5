import Foundation

/// The sandbox's settlement arithmetic: integers only (Int128 where products grow), with one
/// rounding rule, half away from zero, so that a refund mirrors its payment.
enum SandboxSettlementMath {
    /// Decimals of a written exchange rate (`7.84239700`, as the providers write them).
    static let rateScale = 8

    /// The price of one major unit of `from` in `to`, times 10^8, from the sandbox's quotes;
    /// nil when either currency has none.
    static func rate(from: String, to: String) -> Int64? {
        guard let fromPerUSD = SandboxQuotes.perUSD[from], let toPerUSD = SandboxQuotes.perUSD[to] else { return nil }
        return Int64(divide(Int128(toPerUSD) * Int128(power(rateScale)), by: Int128(fromPerUSD)))
    }

    /// `minorUnits` of `from` in minor units of `to` at `rate` (times 10^8).
    static func convert(_ minorUnits: Int64, from: String, to: String, rate: Int64) -> Int64 {
        let fromExponent = SandboxMoney.exponent(of: from)
        let toExponent = SandboxMoney.exponent(of: to)
        let numerator = Int128(minorUnits) * Int128(rate) * Int128(power(max(toExponent - fromExponent, 0)))
        let denominator = Int128(power(rateScale)) * Int128(power(max(fromExponent - toExponent, 0)))
        return Int64(divide(numerator, by: denominator))
    }

    /// The fee on a signed settlement amount: the same sign (a refund's fee is returned).
    static func fee(on minorUnits: Int64, basisPoints: Int) -> Int64 {
        Int64(divide(Int128(minorUnits) * Int128(basisPoints), by: 10_000))
    }

    /// `rate` (times 10^8) as its decimal text.
    static func rateText(_ rate: Int64) -> String {
        SandboxMoney.decimal(minorUnits: rate, places: rateScale)
    }

    /// A stable number of `count` digits from `text` (FNV-1a): batch numbers and made-up ids that
    /// come out the same each time a day's files are written again.
    static func digits(of text: String, count: Int) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var result = ""
        while result.count < count {
            for byte in (text + String(result.count)).utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            result += String(hash % 1_000_000_000)
        }
        return String(result.prefix(count))
    }

    /// Rounded half away from zero.
    private static func divide(_ numerator: Int128, by denominator: Int128) -> Int128 {
        let magnitude = numerator.magnitude
        let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: denominator.magnitude)
        let rounded = Int128(remainder * 2 >= denominator.magnitude ? quotient + 1 : quotient)
        return numerator < 0 ? -rounded : rounded
    }

    private static func power(_ exponent: Int) -> Int64 {
        (0..<exponent).reduce(Int64(1)) { value, _ in value * 10 }
    }
}

/// A CSV line as the providers write them: fields joined by the separator, quoted only when
/// they hold the separator or a quote or start or end with a space. Control characters (line
/// breaks, tabs) in merchants' text become spaces.
enum SandboxCSV {
    static func line(_ fields: [String], separator: Character = ",") -> String {
        fields.map { field in
            let flat = String(String.UnicodeScalarView(field.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
            guard flat.contains(separator) || flat.contains("\"") || flat.hasPrefix(" ") || flat.hasSuffix(" ") else { return flat }
            return "\"" + flat.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: String(separator)) + "\n"
    }
}
