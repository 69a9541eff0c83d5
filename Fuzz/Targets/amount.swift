import ShroffCore

/// The amount parser: never traps; what it accepts is ASCII digits with at most one dot, positive,
/// and prints back to the same number of minor units.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for code in ["JPY", "HKD", "BHD", "CLF"] {
        let currency = Currency(code: code)!
        guard let money = try? Money.parse(text, currency: currency) else { continue }
        precondition(money.minorUnits > 0, "accepted a non-positive amount")
        precondition(text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }, "accepted a non-ASCII-digit amount")
        let again = try? Money.parse(money.decimalString, currency: currency)
        precondition(again == money, "decimalString does not parse back to the same amount")
    }
    return 0
}
