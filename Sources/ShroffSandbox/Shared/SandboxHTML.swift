/// Text for the sandbox's shopper pages, shared by the AMS pages and the WAP wallet pages.
enum SandboxHTML {
    /// Escapes text for HTML (and XML) element content and double- or single-quoted attribute values.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

/// Amounts as a shopper reads them: major units with the currency's decimals. The sandbox keeps
/// its own knowledge of currencies rather than the gateway's, as a real provider would.
enum SandboxMoney {
    /// ISO 4217 minor-unit exponents that are not 2.
    private static let exponents: [String: Int] = [
        "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
        "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3, "CLF": 4, "UYW": 4,
    ]

    static func exponent(of currency: String) -> Int { exponents[currency] ?? 2 }

    /// `HKD 12.00`, `JPY 1050`, `BHD 1.234`.
    static func display(minorUnits: Int64, currency: String) -> String {
        "\(currency) \(decimal(minorUnits: minorUnits, places: exponent(of: currency)))"
    }

    /// `minorUnits` with exactly `places` decimals: `1050`, 2 → `10.50`.
    static func decimal(minorUnits: Int64, places: Int) -> String {
        let digits = String(minorUnits.magnitude)
        let sign = minorUnits < 0 ? "-" : ""
        guard places > 0 else { return sign + digits }
        let padded = String(repeating: "0", count: max(0, places + 1 - digits.count)) + digits
        return "\(sign)\(padded.dropLast(places)).\(padded.suffix(places))"
    }
}
