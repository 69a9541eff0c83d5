/// The sandbox's indicative exchange rates, used where the provider converts: a wallet's minimum
/// (seed 002, set in the wallet's own currency) applied to an order priced in another currency.
/// Fixed numbers so that tests are repeatable; not market rates.
enum SandboxQuotes {
    /// Units of each currency per 1 USD, times 10,000 (exponents from `SandboxMoney`).
    static let perUSD: [String: Int64] = [
        "USD": 10_000, "HKD": 78_000, "CNY": 72_000, "MOP": 80_000, "TWD": 320_000, "THB": 360_000, "MYR": 47_000,
        "PHP": 580_000, "IDR": 160_000_000, "BDT": 1_100_000, "PKR": 2_800_000, "KRW": 14_000_000, "JPY": 1_500_000,
        "SGD": 13_500, "EUR": 9_200, "GBP": 7_900, "AUD": 15_000, "NZD": 16_500, "CAD": 13_600, "CHF": 8_800,
    ]

    /// Whether `value` minor units of `currency` are worth less than `minimum` minor units of
    /// `minimumCurrency`; nil when either currency has no quote. Integer arithmetic only.
    static func isBelow(value: Int64, currency: String, minimum: Int64, minimumCurrency: String) -> Bool? {
        guard let orderRate = perUSD[currency], let walletRate = perUSD[minimumCurrency] else { return nil }
        // value / 10^eO / rO < minimum / 10^eW / rW  ⇔  value · rW · 10^eW < minimum · rO · 10^eO
        let orderExponent = SandboxMoney.exponent(of: currency)
        let walletExponent = SandboxMoney.exponent(of: minimumCurrency)
        guard let left = product([value, walletRate, power(walletExponent)]) else { return false }
        guard let right = product([minimum, orderRate, power(orderExponent)]) else { return true }
        return left < right
    }

    private static func power(_ exponent: Int) -> Int64 {
        (0..<exponent).reduce(Int64(1)) { value, _ in value * 10 }
    }

    /// nil on overflow.
    private static func product(_ factors: [Int64]) -> Int64? {
        var result: Int64 = 1
        for factor in factors {
            let (next, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result = next
        }
        return result
    }
}
