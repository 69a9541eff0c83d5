import Testing
@testable import ShroffCore

private func currency(_ code: String) -> Currency {
    guard let currency = Currency(code: code) else { fatalError("unknown test currency \(code)") }
    return currency
}

@Suite("Money")
struct MoneyTests {
    struct Accepted: Sendable, CustomTestStringConvertible {
        let text: String
        let currency: String
        let minorUnits: Int64
        var testDescription: String { "\"\(text)\" \(currency) = \(minorUnits)" }
    }

    @Test("parse accepts plain decimal strings in major units", arguments: [
        Accepted(text: "1", currency: "HKD", minorUnits: 100),
        Accepted(text: "10.50", currency: "HKD", minorUnits: 1050),
        Accepted(text: "10.5", currency: "HKD", minorUnits: 1050),
        Accepted(text: "0.1", currency: "HKD", minorUnits: 10),
        Accepted(text: "0.01", currency: "USD", minorUnits: 1),
        Accepted(text: "50000", currency: "KRW", minorUnits: 50000),
        Accepted(text: "100", currency: "JPY", minorUnits: 100),
        Accepted(text: "1.234", currency: "BHD", minorUnits: 1234),
        Accepted(text: "0.001", currency: "BHD", minorUnits: 1),
        Accepted(text: "999999999999.99", currency: "HKD", minorUnits: 99_999_999_999_999),
        Accepted(text: "999999999999.9999", currency: "CLF", minorUnits: 9_999_999_999_999_999),
    ])
    func parseAccepts(_ example: Accepted) throws {
        let money = try Money.parse(example.text, currency: currency(example.currency))
        #expect(money.minorUnits == example.minorUnits)
        #expect(money.currency.code == example.currency)
    }

    struct Refused: Sendable, CustomTestStringConvertible {
        let text: String
        let currency: String
        let error: Money.ParseError
        var testDescription: String { "\"\(text)\" \(currency) → \(error)" }
    }

    @Test("parse refuses anything but a plain positive decimal", arguments: [
        Refused(text: "", currency: "HKD", error: .notADecimal),
        Refused(text: "1.", currency: "HKD", error: .notADecimal),
        Refused(text: ".5", currency: "HKD", error: .notADecimal),
        Refused(text: ".", currency: "HKD", error: .notADecimal),
        Refused(text: "01", currency: "HKD", error: .notADecimal),
        Refused(text: "00.5", currency: "HKD", error: .notADecimal),
        Refused(text: "-1", currency: "HKD", error: .notADecimal),
        Refused(text: "+1", currency: "HKD", error: .notADecimal),
        Refused(text: "1e3", currency: "HKD", error: .notADecimal),
        Refused(text: "1E3", currency: "HKD", error: .notADecimal),
        Refused(text: " 1", currency: "HKD", error: .notADecimal),
        Refused(text: "1 ", currency: "HKD", error: .notADecimal),
        Refused(text: "1,000", currency: "HKD", error: .notADecimal),
        Refused(text: "1.2.3", currency: "HKD", error: .notADecimal),
        Refused(text: "0x10", currency: "HKD", error: .notADecimal),
        Refused(text: "١", currency: "HKD", error: .notADecimal), // ARABIC-INDIC DIGIT ONE
        Refused(text: "１", currency: "HKD", error: .notADecimal), // FULLWIDTH DIGIT ONE
        Refused(text: "NaN", currency: "HKD", error: .notADecimal),
        Refused(text: "0", currency: "HKD", error: .notPositive),
        Refused(text: "0.00", currency: "HKD", error: .notPositive),
        Refused(text: "0", currency: "KRW", error: .notPositive),
        Refused(text: "1.001", currency: "HKD", error: .tooManyDecimals(allowed: 2)),
        Refused(text: "10.500", currency: "HKD", error: .tooManyDecimals(allowed: 2)),
        Refused(text: "1.5", currency: "KRW", error: .tooManyDecimals(allowed: 0)),
        Refused(text: "100.0", currency: "JPY", error: .tooManyDecimals(allowed: 0)),
        Refused(text: "1.2345", currency: "BHD", error: .tooManyDecimals(allowed: 3)),
        Refused(text: "1234567890123", currency: "HKD", error: .tooManyIntegerDigits),
        Refused(text: "1000000000000.5", currency: "HKD", error: .tooManyIntegerDigits),
        Refused(text: "1234567890123", currency: "KRW", error: .tooManyIntegerDigits),
    ])
    func parseRefuses(_ example: Refused) {
        #expect(throws: example.error) {
            _ = try Money.parse(example.text, currency: currency(example.currency))
        }
    }

    @Test("12 integer digits are the most accepted")
    func twelveIntegerDigits() throws {
        #expect(try Money.parse("123456789012", currency: currency("KRW")).minorUnits == 123_456_789_012)
    }

    struct Written: Sendable, CustomTestStringConvertible {
        let minorUnits: Int64
        let currency: String
        let decimal: String
        var testDescription: String { "\(minorUnits) \(currency) → \"\(decimal)\"" }
    }

    @Test("decimalString is the shortest exact form in major units", arguments: [
        Written(minorUnits: 1050, currency: "HKD", decimal: "10.5"),
        Written(minorUnits: 100, currency: "HKD", decimal: "1"),
        Written(minorUnits: 1, currency: "HKD", decimal: "0.01"),
        Written(minorUnits: 10, currency: "HKD", decimal: "0.1"),
        Written(minorUnits: 1001, currency: "HKD", decimal: "10.01"),
        Written(minorUnits: 50000, currency: "KRW", decimal: "50000"),
        Written(minorUnits: 50, currency: "KRW", decimal: "50"),
        Written(minorUnits: 1234, currency: "BHD", decimal: "1.234"),
        Written(minorUnits: 1230, currency: "BHD", decimal: "1.23"),
        Written(minorUnits: 1, currency: "BHD", decimal: "0.001"),
        Written(minorUnits: 3000, currency: "BHD", decimal: "3"),
        Written(minorUnits: 99_999_999_999_999, currency: "HKD", decimal: "999999999999.99"),
    ])
    func decimalString(_ example: Written) throws {
        let money = Money(minorUnits: example.minorUnits, currency: currency(example.currency))
        #expect(money.decimalString == example.decimal)
        // What is written reads back as the same amount.
        #expect(try Money.parse(example.decimal, currency: money.currency) == money)
    }

    @Test("minorUnitsString is the integer count of minor units, as the providers write it")
    func minorUnitsString() {
        #expect(Money(minorUnits: 1050, currency: currency("HKD")).minorUnitsString == "1050")
        #expect(Money(minorUnits: 100, currency: currency("USD")).minorUnitsString == "100")
        #expect(Money(minorUnits: 50000, currency: currency("KRW")).minorUnitsString == "50000")
        #expect(Money(minorUnits: 1234, currency: currency("BHD")).minorUnitsString == "1234")
    }

    @Test("Currency knows ISO 4217 exponents and refuses unknown or lower-case codes")
    func currencies() {
        #expect(Currency(code: "HKD")?.exponent == 2)
        #expect(Currency(code: "USD")?.exponent == 2)
        #expect(Currency(code: "KRW")?.exponent == 0)
        #expect(Currency(code: "JPY")?.exponent == 0)
        #expect(Currency(code: "BHD")?.exponent == 3)
        #expect(Currency(code: "IDR")?.exponent == 2)
        #expect(Currency(code: "hkd") == nil)
        #expect(Currency(code: "XYZ") == nil)
        #expect(Currency(code: "HK") == nil)
        #expect(Currency(code: "") == nil)
    }
}
