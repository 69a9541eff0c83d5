import Foundation
import ShroffCore

/// Integer arithmetic on the files' numbers: bounded, so sums of a file's lines cannot overflow
/// unnoticed.
enum SettlementNumbers {
    /// 15 digits: a trillion in a 3-decimal currency. No real line comes near it.
    static let maxDigits = 15

    /// nil on overflow.
    static func sum(_ values: [Int64]) -> Int64? {
        var total: Int64 = 0
        for value in values {
            let (next, overflow) = total.addingReportingOverflow(value)
            if overflow { return nil }
            total = next
        }
        return total
    }

    /// `-?digits[.digits]` in major units → minor units of a currency with `exponent` decimals.
    /// Decimals beyond the exponent must be zeros (`100.00` JPY is 100); no leading zeros, no
    /// exponent, no `+`. nil when malformed or longer than `maxDigits`.
    static func minorUnits(decimal text: String, exponent: Int) -> Int64? {
        var bytes = Array(text.utf8)
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { bytes.removeFirst() }
        let point = bytes.firstIndex(of: UInt8(ascii: "."))
        let whole = bytes[..<(point ?? bytes.count)]
        let fraction = point.map { bytes[($0 + 1)...] } ?? []
        guard !whole.isEmpty, point == nil || !fraction.isEmpty, isDigits(whole), isDigits(fraction),
              whole.count == 1 || whole.first != UInt8(ascii: "0"),
              fraction.dropFirst(exponent).allSatisfy({ $0 == UInt8(ascii: "0") }),
              whole.count + exponent <= maxDigits
        else { return nil }
        var value: Int64 = 0
        for digit in whole { value = value * 10 + Int64(digit - UInt8(ascii: "0")) }
        for place in 0..<exponent {
            let digit = place < fraction.count ? Int64(fraction[fraction.startIndex + place] - UInt8(ascii: "0")) : 0
            value = value * 10 + digit
        }
        return negative ? -value : value
    }

    private static func isDigits(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

/// One row's fields by column name; every error names the line and the column.
struct SettlementFields {
    let table: SettlementTable
    let row: SettlementTable.Row

    var line: Int { row.number }

    func failure(_ name: String, _ problem: String) -> SettlementFileError {
        SettlementFileError(line: row.number, field: table.spelling(name), problem: problem)
    }

    /// Free text (remarks): nil when empty, at most 256 bytes.
    func optionalText(_ name: String) throws(SettlementFileError) -> String? {
        let text = table.text(row, name)
        guard text.utf8.count <= 256 else { throw failure(name, "longer than 256 bytes") }
        return text.isEmpty ? nil : text
    }

    /// An id: nil when empty, at most 64 bytes.
    func optionalIdentifier(_ name: String) throws(SettlementFileError) -> String? {
        let text = table.text(row, name)
        guard text.utf8.count <= 64 else { throw failure(name, "longer than 64 bytes") }
        return text.isEmpty ? nil : text
    }

    func identifier(_ name: String) throws(SettlementFileError) -> String {
        guard let text = try optionalIdentifier(name) else { throw failure(name, "empty") }
        return text
    }

    func currency(_ name: String) throws(SettlementFileError) -> Currency {
        let text = table.text(row, name)
        guard let currency = Currency(code: text) else { throw failure(name, "\(text.isEmpty ? "empty" : "not an ISO 4217 currency")") }
        return currency
    }

    /// An AMS amount: signed minor units as an integer (`18000`, `-9000`).
    func minorUnits(_ name: String, currency: Currency) throws(SettlementFileError) -> Money {
        let text = table.text(row, name)
        guard text.utf8.allSatisfy({ $0 != UInt8(ascii: ".") }),
              let value = SettlementNumbers.minorUnits(decimal: text, exponent: 0) else {
            throw failure(name, "not an integer amount in minor units of at most \(SettlementNumbers.maxDigits) digits")
        }
        return Money(minorUnits: value, currency: currency)
    }

    /// A WAP amount: signed major units with the currency's decimals (`852.40`, `-0.2`, `1050` JPY).
    func majorUnits(_ name: String, currency: Currency) throws(SettlementFileError) -> Money {
        guard let value = SettlementNumbers.minorUnits(decimal: table.text(row, name), exponent: currency.exponent) else {
            throw failure(name, "not a decimal amount with at most \(currency.exponent) decimals in \(currency)")
        }
        return Money(minorUnits: value, currency: currency)
    }

    /// A positive rate, `digits[.digits]`, at most 18 digits.
    func rate(_ name: String, base: Currency, quote: Currency) throws(SettlementFileError) -> SettlementRate {
        let text = table.text(row, name)
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digits = parts.joined()
        guard !parts[0].isEmpty, parts.count == 1 || !parts[1].isEmpty, digits.count <= 18,
              digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let numerator = Int64(digits), numerator > 0 else {
            throw failure(name, "not a positive decimal rate of at most 18 digits")
        }
        return SettlementRate(baseCurrency: base, quoteCurrency: quote, text: text, numerator: numerator, scale: parts.count > 1 ? parts[1].count : 0)
    }

    /// An ISO 8601 time with its offset (`2018-12-25T10:00:00+08:30`).
    func isoTime(_ name: String) throws(SettlementFileError) -> Date {
        guard let date = TimestampFormat.parse(table.text(row, name)) else { throw failure(name, "not an ISO 8601 time with an offset") }
        return date
    }

    /// `yyyy-MM-dd HH:mm:ss` in the provider's zone.
    func localTime(_ name: String, utcOffsetSeconds: Int) throws(SettlementFileError) -> Date {
        let text = table.text(row, name)
        let bytes = Array(text.utf8)
        let offset = abs(utcOffsetSeconds)
        let zone = (utcOffsetSeconds < 0 ? "-" : "+") + String(format: "%02d:%02d", offset / 3600, offset % 3600 / 60)
        guard bytes.count == 19, bytes[10] == UInt8(ascii: " "),
              let date = TimestampFormat.parse(String(text.prefix(10)) + "T" + String(text.suffix(8)) + zone) else {
            throw failure(name, "not a time written yyyy-MM-dd HH:mm:ss")
        }
        return date
    }

    /// `PAYMENT`, `REFUND`, `CANCEL` in any case, or the one-letter `P`, `R`, `C` of older files.
    func kind(_ name: String) throws(SettlementFileError) -> SettlementTransactionKind {
        switch table.text(row, name).uppercased() {
        case "PAYMENT", "P": .payment
        case "REFUND", "R": .refund
        case "CANCEL", "C": .cancel
        default: throw failure(name, "not PAYMENT, REFUND or CANCEL")
        }
    }
}
