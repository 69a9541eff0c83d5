/// An ISO 4217 currency with its minor-unit exponent.
public struct Currency: Hashable, Sendable, CustomStringConvertible {
    public let code: String
    /// Number of decimal places of the minor unit (HKD 2, KRW 0, BHD 3).
    public let exponent: Int

    /// The currency for an ISO 4217 alphabetic code, or nil if the code is not an active ISO 4217 currency.
    /// Judged on the bytes: Swift's `String` equality is canonical equivalence, under which a
    /// KELVIN SIGN (U+212A) equals "K".
    public init?(code: String) {
        guard code.utf8.count == 3, code.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }),
              let exponent = Currency.exponents[code] else { return nil }
        self.code = code
        self.exponent = exponent
    }

    public var description: String { code }

    static let exponents: [String: Int] = {
        var table: [String: Int] = [:]
        let zero = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
        let three = "BHD IQD JOD KWD LYD OMR TND"
        let four = "CLF UYW"
        let two = """
            AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD \
            CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS \
            GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL \
            MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK \
            PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS \
            TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG
            """
        for (codes, exponent) in [(zero, 0), (two, 2), (three, 3), (four, 4)] {
            for code in codes.split(separator: " ") { table[String(code)] = exponent }
        }
        return table
    }()
}

/// An amount of money: an integer count of minor units in a currency. Never a binary float.
public struct Money: Hashable, Sendable, CustomStringConvertible {
    public let minorUnits: Int64
    public let currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// Why a decimal amount string was refused.
    public enum ParseError: Error, Equatable, Sendable {
        case notADecimal
        case tooManyDecimals(allowed: Int)
        case tooManyIntegerDigits
        case notPositive
    }

    /// Parses a merchant-facing decimal string in major units (`"10.50"` HKD → 1050 minor units).
    /// Accepts only ASCII digits with an optional fraction: no sign, exponent, spaces or leading zeros.
    /// Works on the UTF-8 bytes, so a digit followed by a combining mark is not a digit.
    public static func parse(_ text: String, currency: Currency) throws(ParseError) -> Money {
        var integerDigits = 0
        var fractionDigits = -1  // -1 until the decimal point is seen
        var leadingZero = false
        var minor: Int64 = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if fractionDigits < 0 {
                    if leadingZero { throw .notADecimal }
                    if integerDigits == 0, byte == UInt8(ascii: "0") { leadingZero = true }
                    integerDigits += 1
                    guard integerDigits <= 12 else { throw .tooManyIntegerDigits }
                } else {
                    fractionDigits += 1
                    guard fractionDigits <= currency.exponent else { throw .tooManyDecimals(allowed: currency.exponent) }
                }
                // At most 12 + 4 digits: never overflows Int64.
                minor = minor * 10 + Int64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "."):
                guard fractionDigits < 0, integerDigits > 0 else { throw .notADecimal }
                fractionDigits = 0
            default:
                throw .notADecimal
            }
        }
        guard integerDigits > 0, fractionDigits != 0 else { throw .notADecimal }
        for _ in max(fractionDigits, 0)..<currency.exponent { minor *= 10 }
        guard minor > 0 else { throw .notPositive }
        return Money(minorUnits: minor, currency: currency)
    }

    /// The shortest exact decimal string in major units: trailing fractional zeros are dropped
    /// (1050 HKD minor units → `"10.5"`, 100 → `"1"`).
    public var decimalString: String {
        let exponent = currency.exponent
        guard exponent > 0 else { return String(minorUnits) }
        var divisor: Int64 = 1
        for _ in 0..<exponent { divisor *= 10 }
        let sign = minorUnits < 0 ? "-" : ""
        let magnitude = minorUnits.magnitude
        let integer = magnitude / UInt64(divisor)
        var fraction = String(magnitude % UInt64(divisor))
        fraction = String(repeating: "0", count: exponent - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(sign)\(integer)" : "\(sign)\(integer).\(fraction)"
    }

    /// The amount as the providers write it: minor units as a decimal integer string.
    public var minorUnitsString: String { String(minorUnits) }

    public var description: String { "\(decimalString) \(currency.code)" }
}
