/// Wallets are spelled one way in answers: the AMS names (`ALIPAY_CN`, `ALIPAY_HK`, `TRUEMONEY`, …).
/// Requests may use the seeds' alipayhk spellings (`ALIPAYCN`, `ALIPAYHK`), which are also what the
/// WAP gateway's `payment_inst` takes and reports.
public enum WalletName {
    static let alipayHKSpellings = ["ALIPAYCN": "ALIPAY_CN", "ALIPAYHK": "ALIPAY_HK"]

    /// The AMS name of a wallet however it was spelt (unknown names pass unchanged).
    public static func ams(_ wallet: String) -> String {
        alipayHKSpellings[wallet] ?? wallet
    }

    /// The WAP gateway's `payment_inst` for a wallet.
    public static func wap(_ wallet: String) -> String {
        alipayHKSpellings.first { $0.value == wallet }?.key ?? wallet
    }
}
