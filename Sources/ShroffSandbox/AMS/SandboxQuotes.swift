/// The sandbox's indicative exchange rates, used where the provider converts: a wallet's minimum
/// (seed 002, set in the wallet's own currency) applied to an order priced in another currency.
/// Fixed numbers so that tests are repeatable; not market rates.
enum SandboxQuotes {
    /// Units of each currency per 1 USD, times 10,000, and the currency's minor-unit exponent.
    static let perUSD: [String: (rate: Int64, exponent: Int)] = [
        "USD": (10_000, 2), "HKD": (78_000, 2), "CNY": (72_000, 2), "MOP": (80_000, 2), "TWD": (320_000, 2),
        "THB": (360_000, 2), "MYR": (47_000, 2), "PHP": (580_000, 2), "IDR": (160_000_000, 2), "BDT": (1_100_000, 2),
        "PKR": (2_800_000, 2), "KRW": (14_000_000, 0), "JPY": (1_500_000, 0), "SGD": (13_500, 2), "EUR": (9_200, 2),
        "GBP": (7_900, 2), "AUD": (15_000, 2), "NZD": (16_500, 2), "CAD": (13_600, 2), "CHF": (8_800, 2),
    ]

    /// Whether `value` minor units of `currency` are worth less than `minimum` minor units of
    /// `minimumCurrency`; nil when either currency has no quote. Integer arithmetic only.
    static func isBelow(value: Int64, currency: String, minimum: Int64, minimumCurrency: String) -> Bool? {
        guard let order = perUSD[currency], let wallet = perUSD[minimumCurrency] else { return nil }
        // value / 10^eO / rO < minimum / 10^eW / rW  ⇔  value · rW · 10^eW < minimum · rO · 10^eO
        guard let left = product([value, wallet.rate, power(wallet.exponent)]) else { return false }
        guard let right = product([minimum, order.rate, power(order.exponent)]) else { return true }
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
